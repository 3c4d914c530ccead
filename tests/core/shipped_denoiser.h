/* Shared by the gc_denoise tests: the shipped denoiser model from the
 * source tree (GAN_SOURCE_ROOT). Returns 0, or -1 having said why. */
#ifndef SHIPPED_DENOISER_H
#define SHIPPED_DENOISER_H

#include <stdio.h>
#include <stdlib.h>

#include "gc_core.h"
#include "gcn_denoiser.h"

static inline int
load_shipped_denoiser (gcn_denoiser *net)
{
  const char *root = getenv ("GAN_SOURCE_ROOT");
  char path[4096];
  gc_model_file mf;
  int ret = 0;
  snprintf (path, sizeof path, "%s/models/denoise-48k.safetensors",
      root ? root : ".");
  if (gc_model_load (&mf, path) || gcn_denoiser_load (net, &mf)) {
    fprintf (stderr, "cannot load %s: %s\n", path, gc_last_error ());
    ret = -1;
  }
  gc_model_free (&mf);
  return ret;
}

#endif
