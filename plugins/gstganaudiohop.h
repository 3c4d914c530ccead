/* GstGanAudioHop: base class of the audio elements that run a model on
 * whole hops of samples (gandenoise, ganvocoder), in the spirit of
 * gst-plugins-good's GstAudioFXBaseFIRFilter.
 *
 * It owns the stream around the model: input collects in a GstAdapter and
 * goes to the subclass in whole hops; the first lead_in output samples
 * (the model's lead-in) are dropped so output sample n lines up with input
 * time n / out-rate; at EOS, DISCONT and caps changes the tail is drained
 * so output samples == input samples * out-rate / in-rate; output buffers
 * are stamped from the input's timeline; the LATENCY query adds the
 * subclass's lag (plus one hop once an input buffer has ended inside a
 * hop: output leaves in whole hops) to the peer's, and a change of it is
 * posted as a latency message. Sample formats: F32LE and S16LE,
 * interleaved; the subclass sees interleaved floats. */
#ifndef GST_GAN_AUDIO_HOP_H
#define GST_GAN_AUDIO_HOP_H

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <gst/audio/gstaudiofilter.h>
#include <gst/base/gstadapter.h>

G_BEGIN_DECLS

#define GST_TYPE_GAN_AUDIO_HOP (gst_gan_audio_hop_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstGanAudioHop, gst_gan_audio_hop, GST,
    GAN_AUDIO_HOP, GstAudioFilter)

struct _GstGanAudioHopClass {
  GstAudioFilterClass parent_class;

  /* New caps (the previous stream is drained already): set the model up
   * for them and call gst_gan_audio_hop_configure () and
   * gst_gan_audio_hop_set_lag (). */
  gboolean (*setup) (GstGanAudioHop * hop, const GstAudioInfo * in,
      const GstAudioInfo * out);
  /* n_frames (whole hops) of interleaved input; point *out at the output
   * frames now due (lead-in included) and return how many, or -1 when the
   * model fails (gc_last_error () says why: the element posts an error). */
  gint (*process) (GstGanAudioHop * hop, const gfloat * in, gint n_frames,
      const gfloat ** out);
  /* End of a stream: the last n_frames (less than a hop, maybe 0) of input
   * on the first call, none after; output as for process. Called until
   * `want` output frames (after the lead-in) have left. */
  gint (*drain) (GstGanAudioHop * hop, const gfloat * in, gint n_frames,
      guint64 want, const gfloat ** out);
  /* Forget the stream so far (DISCONT, flush, caps). */
  void (*reset) (GstGanAudioHop * hop);
};

/* In setup: input frames per hop, and output frames to drop at the start
 * of each stream. */
void gst_gan_audio_hop_configure (GstGanAudioHop * hop, gint hop_frames,
    guint lead_in);
/* The subclass's delay; a latency message is posted when the latency
 * reported changes. Streaming thread. */
void gst_gan_audio_hop_set_lag (GstGanAudioHop * hop, GstClockTime lag);
/* Set what the LATENCY query answers, without a message (init, stop). */
void gst_gan_audio_hop_set_latency (GstGanAudioHop * hop,
    GstClockTime latency);
/* Stream time of input sample `sample` of the stream, or NONE. */
GstClockTime gst_gan_audio_hop_sample_time (GstGanAudioHop * hop,
    guint64 sample);

G_END_DECLS

#endif
