/* Models embedded in the plugin (see models/meson.build). Each shipped
 * model NAME gives gan_model_NAME[] and gan_model_NAME_size; an element
 * declares the ones it uses with GAN_MODEL_DECLARE. */
#ifndef GAN_MODELS_H
#define GAN_MODELS_H
#include <stddef.h>

#define GAN_MODEL_DECLARE(sym) \
  extern const unsigned char sym[]; extern const size_t sym##_size

#endif
