/* ganstyle — real-time style transfer with one conditional generator for
 * many paintings (see core/nets/gcn_style.h). */
#ifndef GST_GAN_STYLE_H
#define GST_GAN_STYLE_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "gcn_style.h"

G_BEGIN_DECLS

#define GST_TYPE_GAN_STYLE (gst_gan_style_get_type ())
G_DECLARE_FINAL_TYPE (GstGanStyle, gst_gan_style, GST, GAN_STYLE,
    GstVideoFilter)

struct _GstGanStyle
{
  GstVideoFilter parent;

  /* properties, guarded by the object lock */
  gint style;               /* index into the model's styles */
  gint blend_style;         /* second style for blending, -1: none */
  gdouble blend;            /* weight of blend_style, 0..1 */
  gdouble strength;         /* 0: input unchanged, 1: fully styled */
  gchar *model_path;        /* NULL: the embedded model */
  gint num_threads;         /* 0: all cores */
  gchar *pending_name;      /* style-name set before the model was loaded */

  /* streaming state (streaming thread only, plus start/stop) */
  gboolean loaded;
  gcn_style net;
  gcn_style_work work;
  float *rgb_in, *rgb_out;  /* planar [3][h][w] */
  gsize rgb_cap;
  gint warned_style;        /* last out-of-range index warned about */
};

G_END_DECLS

#endif
