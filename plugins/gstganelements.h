/* Element registration declarations of the gan plugin. */
#ifndef GST_GAN_ELEMENTS_H
#define GST_GAN_ELEMENTS_H

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (gandenoise);
GST_ELEMENT_REGISTER_DECLARE (ganvocoder);
GST_ELEMENT_REGISTER_DECLARE (gansuperres);
GST_ELEMENT_REGISTER_DECLARE (ganstyle);

G_END_DECLS

#endif
