/* Shared by the image-model quality tests: decode a sample image with
 * the system's GStreamer plugins (gan-train's loader). */
#ifndef MODEL_IMAGE_H
#define MODEL_IMAGE_H

#include <gst/gst.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gt.h"
#include "model_quality.h"

/* The suite's environment hides the system plugins (for our own plugin's
 * tests); decoding needs them, with a registry of our own next to the
 * program. Call first in main (). */
static inline void
mq_init_decoders (int *argc, char ***argv)
{
  char reg[4096], *self = strdup ((*argv)[0]);
  unsetenv ("GST_PLUGIN_SYSTEM_PATH_1_0");
  snprintf (reg, sizeof reg, "%s/registry-system.bin", dirname (self));
  free (self);
  setenv ("GST_REGISTRY_1_0", reg, 1);
  gst_init (argc, argv);
}

/* samples/name as planar RGB [3][h][w] in [0, 1] (malloc'ed), or NULL
 * having said why. */
static inline float *
mq_load_sample (const char *name, int *w, int *h)
{
  char path[4096];
  float *rgb = NULL;
  mq_path (path, sizeof path, "samples", name);
  if (gt_load_image (NULL, path, &rgb, w, h) < 0) {
    fprintf (stderr, "cannot load %s: %s\n", path, gc_last_error ());
    return NULL;
  }
  return rgb;
}

#endif
