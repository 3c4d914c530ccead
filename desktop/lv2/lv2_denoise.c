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

static LV2_Handle
instantiate (const LV2_Descriptor * desc, double rate, const char *bundle,
    const LV2_Feature * const *features)
{
  if (rate != (double) (unsigned long) rate)
    return NULL;
  return gan_dp_new ((unsigned long) rate,
      strcmp (desc->URI, URI_STEREO) == 0 ? 2 : 1);
}

static void
connect_port (LV2_Handle h, uint32_t port, void *data)
{
  gan_dp_connect_port (h, port, data);
}

static void
activate (LV2_Handle h)
{
  gan_dp_reset (h);
}

static void
run (LV2_Handle h, uint32_t n)
{
  gan_dp_run_ports (h, n);
}

static void
cleanup (LV2_Handle h)
{
  gan_dp_free (h);
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
