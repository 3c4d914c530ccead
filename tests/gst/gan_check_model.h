/* Shared by the element tests: a bad model must make the element refuse to
 * start, with a RESOURCE error whose message names the model file (and, when
 * `also` is given, says that too). Takes ownership of `el`, a new element
 * whose properties (model path and any others) are already set. */
#ifndef GAN_CHECK_MODEL_H
#define GAN_CHECK_MODEL_H

#include <string.h>
#include <gst/check/gstcheck.h>

static inline void
gan_check_model_error (GstElement * el, const char *path, const char *also)
{
  GstBus *bus = gst_bus_new ();
  fail_unless (el != NULL);
  gst_element_set_bus (el, bus);
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "no error message for %s", path);
  GError *err = NULL;
  gchar *dbg = NULL;
  gst_message_parse_error (m, &err, &dbg);
  fail_unless (err->domain == GST_RESOURCE_ERROR,
      "error \"%s\" is not a resource error", err->message);
  fail_unless (strstr (err->message, path) != NULL,
      "error \"%s\" does not name %s", err->message, path);
  if (also)
    fail_unless (strstr (err->message, also) != NULL,
        "error \"%s\" does not say \"%s\"", err->message, also);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (m);
  gst_element_set_state (el, GST_STATE_NULL);
  gst_element_set_bus (el, NULL);
  gst_object_unref (bus);
  gst_object_unref (el);
}

#endif
