/* gan_denoise_mono / gan_denoise_stereo: gandenoise as LADSPA plugins.
 *
 * Same core (gc_denoise), same embedded model and same defaults as the
 * GStreamer element, so the output is the element's, late by the latency
 * the "latency" output port reports (the LADSPA convention hosts such as
 * Ardour and PipeWire's filter-chain read). Stereo computes one gain from
 * both channels (channel-mode=linked). Any rate from 8 to 48 kHz that is
 * a multiple of 100 Hz; instantiate fails at others. */
#include <ladspa.h>
#include <stdlib.h>
#include <string.h>

#include "gan_denoise_plugin.h"

#define ID_MONO 4889901
#define ID_STEREO 4889902
#define MAXP (4 + GAN_DP_N_CONTROLS + 1)

static LADSPA_Handle
instantiate (const LADSPA_Descriptor * desc, unsigned long rate)
{
  return gan_dp_new (rate, desc->UniqueID == ID_STEREO ? 2 : 1);
}

static void
connect_port (LADSPA_Handle h, unsigned long port, LADSPA_Data * data)
{
  gan_dp_connect_port (h, port, data);
}

static void
activate (LADSPA_Handle h)
{
  gan_dp_reset (h);
}

static void
run (LADSPA_Handle h, unsigned long n)
{
  gan_dp_run_ports (h, n);
}

static void
cleanup (LADSPA_Handle h)
{
  gan_dp_free (h);
}

typedef struct {
  LADSPA_Descriptor d;
  LADSPA_PortDescriptor pd[MAXP];
  const char *names[MAXP];
  LADSPA_PortRangeHint hints[MAXP];
} Desc;

static Desc descs[2];

static LADSPA_PortRangeHintDescriptor
default_hint (const gan_dp_control * c)
{
  LADSPA_PortRangeHintDescriptor b = LADSPA_HINT_BOUNDED_BELOW |
      LADSPA_HINT_BOUNDED_ABOVE;
  if (c->toggled)
    return LADSPA_HINT_TOGGLED | (c->def > 0 ? LADSPA_HINT_DEFAULT_1 :
        LADSPA_HINT_DEFAULT_0);
  if (c->def == c->min)
    return b | LADSPA_HINT_DEFAULT_MINIMUM;
  if (c->def == c->max)
    return b | LADSPA_HINT_DEFAULT_MAXIMUM;
  /* LADSPA's defaults are quarters of the range (the ranges are chosen so
   * that ours are exactly that) */
  float f = (c->def - c->min) / (c->max - c->min);
  return b | (f == 0.25f ? LADSPA_HINT_DEFAULT_LOW : f == 0.75f ?
      LADSPA_HINT_DEFAULT_HIGH : LADSPA_HINT_DEFAULT_MIDDLE);
}

static void
fill (Desc * D, int ch)
{
  static const char *mono_names[] = { "Input", "Output" };
  static const char *st_names[] = { "Input L", "Input R", "Output L",
    "Output R"
  };
  LADSPA_Descriptor *d = &D->d;
  int np = 0;
  d->UniqueID = ch == 2 ? ID_STEREO : ID_MONO;
  d->Label = ch == 2 ? "gan_denoise_stereo" : "gan_denoise_mono";
  d->Properties = LADSPA_PROPERTY_HARD_RT_CAPABLE;
  d->Name = ch == 2 ? "GAN speech denoiser (stereo, linked)" :
      "GAN speech denoiser (mono)";
  d->Maker = "gst-gan developers";
  d->Copyright = "LGPL-2.1-or-later";
  for (int k = 0; k < 2 * ch; k++) {
    D->pd[np] = LADSPA_PORT_AUDIO | (k < ch ? LADSPA_PORT_INPUT :
        LADSPA_PORT_OUTPUT);
    D->names[np] = ch == 2 ? st_names[k] : mono_names[k];
    D->hints[np].HintDescriptor = 0;
    np++;
  }
  for (int k = 0; k < GAN_DP_N_CONTROLS; k++) {
    const gan_dp_control *c = &gan_dp_controls[k];
    D->pd[np] = LADSPA_PORT_CONTROL | LADSPA_PORT_INPUT;
    D->names[np] = c->name;
    D->hints[np].HintDescriptor = default_hint (c);
    D->hints[np].LowerBound = c->min;
    D->hints[np].UpperBound = c->max;
    np++;
  }
  D->pd[np] = LADSPA_PORT_CONTROL | LADSPA_PORT_OUTPUT;
  D->names[np] = "latency";
  D->hints[np].HintDescriptor = 0;
  np++;
  d->PortCount = np;
  d->PortDescriptors = D->pd;
  d->PortNames = D->names;
  d->PortRangeHints = D->hints;
  d->instantiate = instantiate;
  d->connect_port = connect_port;
  d->activate = activate;
  d->run = run;
  d->cleanup = cleanup;
}

const LADSPA_Descriptor *
ladspa_descriptor (unsigned long index)
{
  if (index > 1)
    return NULL;
  if (!descs[index].d.Label)
    fill (&descs[index], index == 1 ? 2 : 1);
  return &descs[index].d;
}
