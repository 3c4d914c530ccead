/* "Model file or embedded model" for every element; see gstganmodel.h. */
#include "gstganmodel.h"

#include <string.h>

#include "gc_core.h"
#include "gan_models.h"

GST_DEBUG_CATEGORY_STATIC (gan_model_debug);
#define GST_CAT_DEFAULT gan_model_debug

static const GanEmbeddedModel *
find_embedded (const gchar * name)
{
  for (const GanEmbeddedModel * m = gan_models; m->name; m++)
    if (strcmp (m->name, name) == 0)
      return m;
  return NULL;
}

/* Parse the file or the embedded model into mf; posts the error. */
static gboolean
open_model (GstElement * element, const gchar * what, const gchar * path,
    const gchar * label, const gchar * embedded, gc_model_file * mf)
{
  if (path) {
    /* a FIFO or device would block or stream forever: files only */
    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
          ("%s model file \"%s\" not found or not a regular file.", what,
              path), (NULL));
      return FALSE;
    }
    if (gc_model_load (mf, path) < 0) {
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
          ("%s model file \"%s\" is not a valid model: %s", what, path,
              gc_last_error ()), (NULL));
      return FALSE;
    }
    return TRUE;
  }
  const GanEmbeddedModel *m = find_embedded (embedded);
  if (!m) {
    GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
        ("This build has no embedded %s model \"%s\"; set the model "
            "property.", what, embedded), (NULL));
    return FALSE;
  }
  if (gc_model_parse (mf, m->data, *m->size, label) < 0) {
    GST_ELEMENT_ERROR (element, RESOURCE, FAILED,
        ("The %s is corrupt: %s", label, gc_last_error ()), (NULL));
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_gan_model_load (GstElement * element, const gchar * what,
    const gchar * path, const gchar * embedded, const gchar * arch,
    GstGanModelBindFunc bind, gpointer user)
{
  gc_model_file mf;
  gboolean ok = FALSE;
  gchar *label;

  GST_DEBUG_CATEGORY_INIT (gan_model_debug, "ganmodel", 0,
      "gst-gan model loading");
  if (path && !*path)
    path = NULL;
  label = path ? g_strdup (path) : g_strdup_printf ("embedded %s model",
      embedded);
  memset (&mf, 0, sizeof mf);
  if (!open_model (element, what, path, label, embedded, &mf))
    goto done;
  if (gc_model_check_arch (&mf, arch) < 0) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("%s model \"%s\" is not a \"%s\" model: %s", what, label, arch,
            gc_last_error ()), (NULL));
    goto done;
  }
  if (bind (&mf, user) < 0) {
    GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
        ("%s model \"%s\" cannot be used: %s", what, label, gc_last_error ()),
        (NULL));
    goto done;
  }
  GST_INFO_OBJECT (element, "loaded %s (%s)", label, arch);
  ok = TRUE;
done:
  gc_model_free (&mf);
  g_free (label);
  return ok;
}
