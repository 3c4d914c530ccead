/* Shared by the LADSPA and LV2 plugins (gan_denoise_plugin.h). */
#include "gan_denoise_plugin.h"

#include <stdlib.h>
#include <string.h>

#include "gan_models.h"

GAN_MODEL_DECLARE (gan_model_denoise_48k);

const gan_dp_control gan_dp_controls[GAN_DP_N_CONTROLS] = {
  /* ranges put each default on a quarter of the range, where LADSPA's
   * DEFAULT_LOW / MIDDLE hints land exactly */
  {"attenuation", "Attenuation limit (dB)", 0.f, 80.f, 20.f, 0, 0},
  {"threshold", "Voice threshold", 0.f, 1.f, 0.5f, 0, 0},
  {"hold", "Gate hold (ms)", 0.f, 1200.f, 300.f, 0, 0},
  {"gate", "Mute when no voice", 0.f, 1.f, 0.f, 1, 0},
  {"guard", "Speech guard (dB)", 0.f, 40.f, 10.f, 0, 0},
};

gan_dp *
gan_dp_new (unsigned long rate, int channels)
{
  /* the denoiser refuses a rate it does not run at */
  if (rate > 48000 || channels < 1 || channels > 2)
    return NULL;
  gan_dp *p = calloc (1, sizeof (*p));
  if (!p)
    return NULL;
  p->ch = channels;
  p->dn = gc_denoise_open_buffer (gan_model_denoise_48k,
      gan_model_denoise_48k_size, (int) rate, channels, GC_DENOISE_LINKED);
  if (!p->dn) {
    free (p);
    return NULL;
  }
  for (int k = 0; k < GAN_DP_N_CONTROLS; k++)
    p->applied[k] = -1.f;       /* none applied yet */
  gan_dp_set_controls (p, (float *const[GAN_DP_N_CONTROLS]) {NULL});
  return p;
}

void
gan_dp_free (gan_dp *p)
{
  if (!p)
    return;
  gc_denoise_free (p->dn);
  free (p);
}

void
gan_dp_reset (gan_dp *p)
{
  gc_denoise_reset (p->dn);
}

int
gan_dp_latency (const gan_dp *p)
{
  return gc_denoise_latency (p->dn);
}

void
gan_dp_set_controls (gan_dp *p, float *const *controls)
{
  float v[GAN_DP_N_CONTROLS];
  int changed = 0;
  for (int k = 0; k < GAN_DP_N_CONTROLS; k++) {
    const gan_dp_control *c = &gan_dp_controls[k];
    float x = controls[k] ? *controls[k] : c->def;
    x = x != x ? c->def : x < c->min ? c->min : x > c->max ? c->max : x;
    v[k] = x;
    changed |= x != p->applied[k];
  }
  if (!changed)
    return;
  gc_denoise_set_attenuation_limit (p->dn, v[GAN_DP_ATTENUATION]);
  gc_denoise_set_vad (p->dn, v[GAN_DP_THRESHOLD], v[GAN_DP_HOLD]);
  gc_denoise_set_gate (p->dn, v[GAN_DP_GATE] > 0.5f);
  gc_denoise_set_speech_guard (p->dn, v[GAN_DP_GUARD]);
  memcpy (p->applied, v, sizeof (v));
}

void
gan_dp_run (gan_dp *p, const float *const *in, float *const *out,
    unsigned long n)
{
  int ch = p->ch;
  for (unsigned long done = 0; done < n;) {
    int k = n - done > GAN_DP_CHUNK ? GAN_DP_CHUNK : (int) (n - done);
    for (int c = 0; c < ch; c++)
      for (int i = 0; i < k; i++)
        p->buf[i * ch + c] = in[c][done + i];
    /* a hop the network fails on comes out as silence (a LADSPA/LV2 run
     * call has no way to report it), so the host still gets every frame */
    (void) gc_denoise_process (p->dn, p->buf, p->buf, k);
    for (int c = 0; c < ch; c++)
      for (int i = 0; i < k; i++)
        out[c][done + i] = p->buf[i * ch + c];
    done += k;
  }
}

void
gan_dp_connect_port (gan_dp *p, unsigned long port, float *data)
{
  unsigned long na = 2 * (unsigned long) p->ch;
  if (port < na)
    p->audio[port] = data;
  else if (port < na + GAN_DP_N_CONTROLS)
    p->ctl[port - na] = data;
  else if (port == na + GAN_DP_N_CONTROLS)
    p->latency = data;
}

void
gan_dp_run_ports (gan_dp *p, unsigned long n)
{
  gan_dp_set_controls (p, p->ctl);
  if (p->latency)
    *p->latency = (float) gan_dp_latency (p);
  gan_dp_run (p, (const float *const *) p->audio, p->audio + p->ch, n);
}
