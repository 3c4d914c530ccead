/* libgancore (internal, not installed) — every part of the core the
 * in-tree programs build on: tensors, threads, layers, training, spectral
 * features, model files. The public API is gancore.h. */
#ifndef GC_CORE_H
#define GC_CORE_H

#include "gc_base.h"
#include "gc_threads.h"
#include "gc_layers.h"
#include "gc_train.h"
#include "gc_spectral.h"
#include "gc_modelfile.h"

#endif
