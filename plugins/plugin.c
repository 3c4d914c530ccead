/* gst-gan: GAN-trained networks in GStreamer pipelines.
 * Registers every element that was built (see meson.build). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <gst/gst.h>

#include "gstganelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

#ifdef HAVE_GANDENOISE
  ret |= GST_ELEMENT_REGISTER (gandenoise, plugin);
#endif
#ifdef HAVE_GANVOCODER
  ret |= GST_ELEMENT_REGISTER (ganvocoder, plugin);
#endif
#ifdef HAVE_GANSUPERRES
  ret |= GST_ELEMENT_REGISTER (gansuperres, plugin);
#endif
#ifdef HAVE_GANSTYLE
  ret |= GST_ELEMENT_REGISTER (ganstyle, plugin);
#endif
  /* A plugin with no element yet still loads, so gst-inspect works. */
  return ret || TRUE;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, gan,
    "GAN-trained neural networks for audio and video (gst-gan)",
    plugin_init, VERSION, "LGPL", GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
