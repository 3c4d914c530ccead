/* ganvocoder: narrowband speech to 16 kHz wideband speech (or 16 kHz
 * resynthesis) with a GAN vocoder. See gstganvocoder.c. */
#ifndef GST_GAN_VOCODER_H
#define GST_GAN_VOCODER_H

#include <gst/gst.h>
#include "gstganaudiohop.h"

G_BEGIN_DECLS

#define GST_TYPE_GAN_VOCODER (gst_gan_vocoder_get_type ())
G_DECLARE_FINAL_TYPE (GstGanVocoder, gst_gan_vocoder, GST, GAN_VOCODER,
    GstGanAudioHop)

G_END_DECLS

#endif
