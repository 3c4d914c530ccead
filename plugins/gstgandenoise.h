/* gandenoise: real-time speech denoising with a GAN-trained causal network.
 * See gstgandenoise.c for the element documentation. */
#ifndef GST_GAN_DENOISE_H
#define GST_GAN_DENOISE_H

#include <gst/gst.h>
#include "gstganaudiohop.h"

G_BEGIN_DECLS

/* How the clean speech is produced. MASK applies the predicted gains to
 * the noisy spectrum (10 ms latency); RESYNTH regenerates the speech band
 * with the vocoder from the masked features (latency reported: about
 * 100 ms with the shipped vocoder's phase refinement). */
typedef enum {
  GST_GAN_DENOISE_MODE_MASK = 0,
  GST_GAN_DENOISE_MODE_RESYNTH = 1,
} GstGanDenoiseMode;

#define GST_TYPE_GAN_DENOISE_MODE (gst_gan_denoise_mode_get_type ())
GType gst_gan_denoise_mode_get_type (void);

/* Stereo: INDEPENDENT denoises each channel on its own; LINKED computes one
 * gain from both channels and applies it to each, so the image stays. */
typedef enum {
  GST_GAN_DENOISE_CHANNEL_MODE_INDEPENDENT = 0,
  GST_GAN_DENOISE_CHANNEL_MODE_LINKED = 1,
} GstGanDenoiseChannelMode;

#define GST_TYPE_GAN_DENOISE_CHANNEL_MODE \
  (gst_gan_denoise_channel_mode_get_type ())
GType gst_gan_denoise_channel_mode_get_type (void);

#define GST_TYPE_GAN_DENOISE (gst_gan_denoise_get_type ())
G_DECLARE_FINAL_TYPE (GstGanDenoise, gst_gan_denoise, GST, GAN_DENOISE,
    GstGanAudioHop)

G_END_DECLS

#endif
