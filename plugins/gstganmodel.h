/* The model of an element: the file its "model" property names, or else
 * one of the models embedded in the plugin (models/gan_models.h). One
 * loader for every element, so each failure reads the same: a missing
 * file, a corrupt file, a model of the wrong architecture, or one the
 * element cannot use, each posted as a RESOURCE element error that names
 * the model. */
#ifndef GST_GAN_MODEL_H
#define GST_GAN_MODEL_H

#include <gst/gst.h>

#include "gc_modelfile.h"

G_BEGIN_DECLS

/* Makes the element's network from a parsed model: 0, or -1 with the
 * reason in gc_set_error (the network must then be left unallocated). */
typedef int (*GstGanModelBindFunc) (const gc_model_file * mf, gpointer user);

/* Load `path` when it is set and not empty, else the embedded model named
 * `embedded` ("denoise-48k"); check that its "arch" is `arch` and hand it
 * to `bind`. `what` starts the messages ("Denoising" model ...). FALSE
 * when an element error was posted. */
gboolean gst_gan_model_load (GstElement * element, const gchar * what,
    const gchar * path, const gchar * embedded, const gchar * arch,
    GstGanModelBindFunc bind, gpointer user);

G_END_DECLS

#endif
