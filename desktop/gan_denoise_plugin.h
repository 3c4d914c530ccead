/* The part of the LADSPA and LV2 plugins that is not host glue: the
 * embedded model, one gc_denoise per instance (libgancore's public API,
 * gancore.h), controls, and planar buffers in and out. No allocation after
 * gan_dp_new. */
#ifndef GAN_DENOISE_PLUGIN_H
#define GAN_DENOISE_PLUGIN_H

#include "gancore.h"

/* Controls, in the order both plugins expose them after the audio ports.
 * The defaults are gandenoise's, so that the plugins and the element give
 * the same output. */
enum {
  GAN_DP_ATTENUATION,           /* dB, 0 .. 100 (0: pass through) */
  GAN_DP_THRESHOLD,             /* voice probability, 0 .. 1 */
  GAN_DP_HOLD,                  /* ms of no voice before voice ends */
  GAN_DP_GATE,                  /* 1: mute while no voice */
  GAN_DP_GUARD,                 /* speech guard, dB (0: off) */
  GAN_DP_N_CONTROLS
};

typedef struct {
  const char *symbol, *name;
  float min, max, def;
  int toggled, integer;
} gan_dp_control;

extern const gan_dp_control gan_dp_controls[GAN_DP_N_CONTROLS];

#define GAN_DP_CHUNK 256

/* Ports, in both plugins: audio inputs, audio outputs (one per channel),
 * the controls above, the latency output. */
typedef struct {
  gc_denoise *dn;
  int ch;
  float applied[GAN_DP_N_CONTROLS];
  float buf[GAN_DP_CHUNK * 2];
  float *audio[4];              /* inputs, then outputs */
  float *ctl[GAN_DP_N_CONTROLS];
  float *latency;
} gan_dp;

/* The embedded model, at `rate`, mono or stereo (linked); NULL when the
 * rate is not one the denoiser runs at (8 .. 48 kHz, multiples of 100). */
gan_dp *gan_dp_new (unsigned long rate, int channels);
void gan_dp_free (gan_dp *p);
void gan_dp_reset (gan_dp *p);
/* Frames between input and output. */
int gan_dp_latency (const gan_dp *p);
/* Apply the control values (NULL pointers keep the default). */
void gan_dp_set_controls (gan_dp *p, float *const *controls);
void gan_dp_run (gan_dp *p, const float *const *in, float *const *out,
    unsigned long n);
/* The host's connect_port and run, in port numbers. */
void gan_dp_connect_port (gan_dp *p, unsigned long port, float *data);
void gan_dp_run_ports (gan_dp *p, unsigned long n);

#endif
