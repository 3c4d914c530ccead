/* gansuperres — live video super-resolution x2/x3/x4 on a CPU, with a
 * fidelity (L1) or a GAN (sharper) model (see core/nets/gcn_superres.h). */
#ifndef GST_GAN_SUPERRES_H
#define GST_GAN_SUPERRES_H

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "gcn_superres.h"

G_BEGIN_DECLS

typedef enum
{
  GST_GAN_SUPERRES_MODEL_FIDELITY,
  GST_GAN_SUPERRES_MODEL_GAN,
} GstGanSuperresModelType;

#define GST_TYPE_GAN_SUPERRES_MODEL_TYPE \
  (gst_gan_superres_model_type_get_type ())
GType gst_gan_superres_model_type_get_type (void);

#define GST_TYPE_GAN_SUPERRES (gst_gan_superres_get_type ())
G_DECLARE_FINAL_TYPE (GstGanSuperres, gst_gan_superres, GST, GAN_SUPERRES,
    GstVideoFilter)

struct _GstGanSuperres
{
  GstVideoFilter parent;

  /* properties, guarded by the object lock */
  gint scale;
  GstGanSuperresModelType model_type;
  gchar *model_path;        /* NULL: the embedded model */
  gint num_threads;         /* 0: all cores */

  /* streaming state (start/stop, set_info and the streaming thread) */
  gboolean loaded;
  gint net_scale;           /* scale of the loaded net */
  gcn_superres net;
  float *luma_in, *luma_out;        /* w x h, (w r) x (h r) */
  float *cb, *cr, *alpha;           /* w x h, RGB formats */
  gsize luma_in_cap, luma_out_cap, chroma_cap;   /* floats allocated */
  gint *xtab;               /* bilinear columns: x0, x1 per output column */
  float *xw;                /* weights of x1 */
  gint xtab_cap;
};

G_END_DECLS

#endif
