/* Every element with a model property, given a FIFO or a directory as the
 * model: the state change fails at once with a RESOURCE error naming the
 * path (opening a FIFO for reading would wait for a writer forever). */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "gan_check_model.h"

static const char *elements[] = { "gandenoise", "ganvocoder", "gansuperres",
  "ganstyle" };

GST_START_TEST (test_fifo_and_directory_refused)
{
  gchar *dir = g_dir_make_tmp ("gan-model-paths-XXXXXX", NULL);
  gchar *fifo = g_build_filename (dir, "model.fifo", NULL);
  fail_unless (mkfifo (fifo, 0600) == 0);
  for (unsigned i = 0; i < G_N_ELEMENTS (elements); i++) {
    const gchar *paths[] = { fifo, dir };
    for (int p = 0; p < 2; p++) {
      GstElement *el = gst_element_factory_make (elements[i], NULL);
      fail_unless (el != NULL, "%s not found", elements[i]);
      g_object_set (el, "model", paths[p], NULL);
      gan_check_model_error (el, paths[p], NULL);
    }
  }
  g_unlink (fifo);
  g_rmdir (dir);
  g_free (fifo);
  g_free (dir);
}

GST_END_TEST;

static Suite *
model_paths_suite (void)
{
  Suite *s = suite_create ("model_paths");
  TCase *tc = tcase_create ("general");
  /* a hang is a failure, reported within this time */
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fifo_and_directory_refused);
  return s;
}

GST_CHECK_MAIN (model_paths);
