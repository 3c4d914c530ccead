/* libgancore — umbrella header. */
#ifndef GANCORE_H
#define GANCORE_H

#include "gc_base.h"
#include "gc_threads.h"
#include "gc_layers.h"
#include "gc_train.h"
#include "gc_spectral.h"
#include "gc_modelfile.h"

#endif
