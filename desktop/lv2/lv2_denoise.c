/* urn:gst-gan:denoise-mono / urn:gst-gan:denoise-stereo: gandenoise as LV2
 * plugins (the same core, model and defaults as the element and the LADSPA
 * plugins). The latency port carries lv2:latency; stereo computes one
 * gain from both channels. Ports: gan-denoise.ttl. */
#include <lv2/core/lv2.h>
#include <stdlib.h>
#include <string.h>

#include "gan_denoise_plugin.h"

#define URI_MONO "urn:gst-gan:denoise-mono"
#define URI_STEREO "urn:gst-gan:denoise-stereo"

typedef struct {
  gan_dp *dp;
  int ch;
  float *audio[4];              /* inputs, then outputs */
  float *ctl[GAN_DP_N_CONTROLS];
  float *latency;
} Instance;

static LV2_Handle
instantiate (const LV2_Descriptor * desc, double rate, const char *bundle,
    const LV2_Feature * const *features)
{
  int ch = strcmp (desc->URI, URI_STEREO) == 0 ? 2 : 1;
  if (rate != (double) (unsigned long) rate)
    return NULL;
  gan_dp *dp = gan_dp_new ((unsigned long) rate, ch);
  if (!dp)
    return NULL;
  Instance *in = calloc (1, sizeof (*in));
  if (!in) {
    gan_dp_free (dp);
    return NULL;
  }
  in->dp = dp;
  in->ch = ch;
  return in;
}

static void
connect_port (LV2_Handle h, uint32_t port, void *data)
{
  Instance *in = h;
  uint32_t na = 2 * in->ch;
  if (port < na)
    in->audio[port] = data;
  else if (port < na + GAN_DP_N_CONTROLS)
    in->ctl[port - na] = data;
  else if (port == na + GAN_DP_N_CONTROLS)
    in->latency = data;
}

static void
activate (LV2_Handle h)
{
  gan_dp_reset (((Instance *) h)->dp);
}

static void
run (LV2_Handle h, uint32_t n)
{
  Instance *in = h;
  gan_dp_set_controls (in->dp, in->ctl);
  if (in->latency)
    *in->latency = (float) gan_dp_latency (in->dp);
  gan_dp_run (in->dp, (const float *const *) in->audio,
      (float *const *) in->audio + in->ch, n);
}

static void
cleanup (LV2_Handle h)
{
  Instance *in = h;
  gan_dp_free (in->dp);
  free (in);
}

static const LV2_Descriptor descs[2] = {
  {URI_MONO, instantiate, connect_port, activate, run, NULL, cleanup, NULL},
  {URI_STEREO, instantiate, connect_port, activate, run, NULL, cleanup, NULL},
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *
lv2_descriptor (uint32_t index)
{
  return index < 2 ? &descs[index] : NULL;
}
