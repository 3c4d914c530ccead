/* gan-train recipes. Each one lives in recipe_<name>.c, named in
 * tools/train/meson.build. */
#ifndef GT_RECIPES_H
#define GT_RECIPES_H

#include "gt.h"

/* 8-Gaussian ring toy GAN: the CI smoke run and the resume test. */
int gt_recipe_ring (gt_ctx *c);
extern const gt_setting gt_ring_settings[];
/* Speech denoising (gandenoise) and its settings. */
int gt_recipe_denoise (gt_ctx *c);
extern const gt_setting gt_denoise_settings[];
/* Video super-resolution (gansuperres). */
int gt_recipe_superres (gt_ctx *c);
extern const gt_setting gt_superres_settings[];
/* Video style transfer (ganstyle). */
int gt_recipe_style (gt_ctx *c);
extern const gt_setting gt_style_settings[];
/* Neural vocoder / bandwidth extension (ganvocoder). */
int gt_recipe_vocoder (gt_ctx *c);
extern const gt_setting gt_vocoder_settings[];

#endif
