/* gst-gan: GAN-trained networks in GStreamer pipelines.
 * Registers the four elements; a failed registration fails the plugin. */
#include <gst/gst.h>

#include "gstganelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = TRUE;

  ok &= GST_ELEMENT_REGISTER (gandenoise, plugin);
  ok &= GST_ELEMENT_REGISTER (ganvocoder, plugin);
  ok &= GST_ELEMENT_REGISTER (gansuperres, plugin);
  ok &= GST_ELEMENT_REGISTER (ganstyle, plugin);
  if (!ok)
    GST_ERROR ("gst-gan: an element failed to register");
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, gan,
    "GAN-trained neural networks for audio and video (gst-gan)",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
