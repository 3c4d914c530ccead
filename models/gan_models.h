/* Models embedded in the plugin (see models/meson.build). Each shipped
 * model NAME gives gan_model_NAME[] and gan_model_NAME_size (NAME with '-'
 * made '_'), and the build lists them all, by name, in gan_models[]
 * (gan_models_table.c, written by embed_model --table). Targets that embed
 * one model on its own (the LADSPA/LV2 plugins) declare it with
 * GAN_MODEL_DECLARE. */
#ifndef GAN_MODELS_H
#define GAN_MODELS_H
#include <stddef.h>

#define GAN_MODEL_DECLARE(sym) \
  extern const unsigned char sym[]; extern const size_t sym##_size

typedef struct {
  const char *name;             /* as in models/meson.build: "denoise-48k" */
  const unsigned char *data;
  const size_t *size;           /* a pointer: the size lives in another unit */
} GanEmbeddedModel;

/* Every embedded model; ends with an entry whose name is NULL. */
extern const GanEmbeddedModel gan_models[];

#endif
