/* gcn_style — conditional style generator: construction, model files,
 * training passes and the inference path (see gcn_style.h). */
#include "gcn_style.h"
#include "gc_sigmoid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
gcn_style_config_default (gcn_style_config *cfg)
{
  cfg->styles = 8;
  cfg->ch1 = 16;
  cfg->ch2 = 24;
  cfg->blocks = 2;
  cfg->skip = 0;
  cfg->head = 1;
}

static int
config_valid (const gcn_style_config *cfg)
{
  if (cfg->styles < 1 || cfg->styles > GCN_STYLE_MAX_STYLES || cfg->ch1 < 1
      || cfg->ch1 > 256 || cfg->ch2 < 1 || cfg->ch2 > 512 || cfg->blocks < 0
      || cfg->blocks > GCN_STYLE_MAX_BLOCKS || cfg->skip < 0 || cfg->skip > 1
      || cfg->head < 0 || cfg->head > 1 || (cfg->head == 1 && cfg->skip)) {
    gc_set_error ("style net: bad configuration (styles %d, ch1 %d, ch2 %d, "
        "blocks %d, skip %d, head %d)", cfg->styles, cfg->ch1, cfg->ch2,
        cfg->blocks, cfg->skip, cfg->head);
    return 0;
  }
  return 1;
}

int
gcn_style_init (gcn_style *net, const gcn_style_config *cfg, gc_rng *r)
{
  gc_rng local;
  char name[GC_MAX_NAME];
  int c1 = cfg->ch1, c2 = cfg->ch2, s = cfg->styles;

  memset (net, 0, sizeof *net);
  if (!config_valid (cfg))
    return -1;
  net->cfg = *cfg;
  if (!r) {
    gc_rng_seed (&local, 1);
    r = &local;
  }
  /* Convolutions followed by an instance norm need no bias: the norm
   * removes any per-channel offset. */
  if (gc_conv2d_init (&net->enc1, "enc1", 3, c1, 3, 2, 1, 1, 1, 0, r) < 0
      || gc_instnorm_init (&net->n_enc1, "enc1_norm", c1, s) < 0
      || gc_conv2d_init (&net->enc2, "enc2", c1, c2, 3, 2, 1, 1, 1, 0, r) < 0
      || gc_instnorm_init (&net->n_enc2, "enc2_norm", c2, s) < 0)
    goto fail;
  for (int i = 0; i < cfg->blocks; i++) {
    /* head 1: every second block is dilated, for a wider view (brush
     * strokes) at the same cost */
    int dil = cfg->head == 1 && (i & 1) ? 2 : 1;
    snprintf (name, sizeof name, "res%d_a", i);
    if (gc_conv2d_init (&net->res_a[i], name, c2, c2, 3, 1, dil, dil, 1, 0,
            r) < 0)
      goto fail;
    snprintf (name, sizeof name, "res%d_a_norm", i);
    if (gc_instnorm_init (&net->n_res_a[i], name, c2, s) < 0)
      goto fail;
    snprintf (name, sizeof name, "res%d_b", i);
    if (gc_conv2d_init (&net->res_b[i], name, c2, c2, 3, 1, dil, dil, 1, 0,
            r) < 0)
      goto fail;
    snprintf (name, sizeof name, "res%d_b_norm", i);
    if (gc_instnorm_init (&net->n_res_b[i], name, c2, s) < 0)
      goto fail;
  }
  if (cfg->head == 1) {
    /* convolve, then resize (bilinear, which has no response at the new
     * Nyquist frequency): no phase of the 2x grid is favoured */
    if (gc_conv2d_init (&net->up, "up", c2, c1, 3, 1, 1, 1, 1, 0, r) < 0
        || gc_conv2d_init (&net->out, "out", c1, 3, 3, 1, 1, 1, 1, 1, r) < 0)
      goto fail;
  } else if (gc_conv2d_init (&net->up, "up", c2, 4 * c1, 1, 1, 0, 1, 1, 0,
          r) < 0 || gc_conv2d_init (&net->out, "out", c1, 12, 3, 1, 1, 1, 1,
          1, r) < 0)
    goto fail;
  if (gc_instnorm_init (&net->n_up, "up_norm", c1, s) < 0)
    goto fail;

  gc_conv2d_params (&net->enc1, &net->params);
  gc_instnorm_params (&net->n_enc1, &net->params);
  gc_conv2d_params (&net->enc2, &net->params);
  gc_instnorm_params (&net->n_enc2, &net->params);
  for (int i = 0; i < cfg->blocks; i++) {
    gc_conv2d_params (&net->res_a[i], &net->params);
    gc_instnorm_params (&net->n_res_a[i], &net->params);
    gc_conv2d_params (&net->res_b[i], &net->params);
    gc_instnorm_params (&net->n_res_b[i], &net->params);
  }
  gc_conv2d_params (&net->up, &net->params);
  gc_instnorm_params (&net->n_up, &net->params);
  gc_conv2d_params (&net->out, &net->params);
  if (cfg->skip) {
    int shape[1] = { s };
    if (gc_param_init (&net->skip_gain, "skip_gain", 1, shape) < 0)
      goto fail;
    gc_init_const (&net->skip_gain, 4.f);
    gc_param_list_add (&net->params, &net->skip_gain);
  }
  /* The second conv of each residual block starts small so every block
   * begins close to the identity. */
  for (int i = 0; i < cfg->blocks; i++)
    for (size_t k = 0; k < net->res_b[i].weight.n; k++)
      net->res_b[i].weight.w[k] *= 0.1f;
  /* head 1 starts as the plain colour transfer: a small texture layer */
  if (cfg->head == 1)
    for (size_t k = 0; k < net->out.weight.n; k++)
      net->out.weight.w[k] *= 0.1f;
  /* until a painting's statistics are set, the transfer is the identity
   * for a mid-grey, mid-spread picture */
  for (int i = 0; i < s; i++) {
    const float neutral[GCN_LAB_STATS] = { 50.f, 0.f, 0.f, 20.f, 10.f, 10.f };
    memcpy (net->lab[i], neutral, sizeof neutral);
  }
  return 0;

fail:
  gcn_style_free (net);
  return -1;
}

void
gcn_style_free (gcn_style *net)
{
  gc_conv2d_free (&net->enc1);
  gc_conv2d_free (&net->enc2);
  gc_instnorm_free (&net->n_enc1);
  gc_instnorm_free (&net->n_enc2);
  for (int i = 0; i < GCN_STYLE_MAX_BLOCKS; i++) {
    gc_conv2d_free (&net->res_a[i]);
    gc_conv2d_free (&net->res_b[i]);
    gc_instnorm_free (&net->n_res_a[i]);
    gc_instnorm_free (&net->n_res_b[i]);
  }
  gc_conv2d_free (&net->up);
  gc_instnorm_free (&net->n_up);
  gc_conv2d_free (&net->out);
  if (net->skip_gain.w)
    gc_param_free (&net->skip_gain);
  gc_param_list_free (&net->params);
  for (int i = 0; i < GCN_STYLE_MAX_STYLES; i++) {
    free (net->names[i]);
    net->names[i] = NULL;
  }
}

/* ---- names and metadata ------------------------------------------------- */

int
gcn_style_set_name (gcn_style *net, int i, const char *name)
{
  if (i < 0 || i >= net->cfg.styles || !name) {
    gc_set_error ("style net: no style %d", i);
    return -1;
  }
  char *copy = strdup (name);
  if (!copy) {
    gc_set_error ("out of memory");
    return -1;
  }
  free (net->names[i]);
  net->names[i] = copy;
  return 0;
}

int
gcn_style_set_lab (gcn_style *net, int i, const float st[GCN_LAB_STATS])
{
  if (i < 0 || i >= net->cfg.styles || !st) {
    gc_set_error ("style net: no style %d", i);
    return -1;
  }
  for (int k = 0; k < GCN_LAB_STATS; k++)
    if (!isfinite (st[k]) || fabsf (st[k]) > 1000.f || (k >= 3 && st[k] < 0.f)) {
      gc_set_error ("style net: bad colour statistics for style %d", i);
      return -1;
    }
  memcpy (net->lab[i], st, sizeof net->lab[i]);
  return 0;
}

/* "lab_stats": styles x 6 numbers, comma-separated. Returns 0 or -1. */
static int
parse_lab (gcn_style *net, const char *list)
{
  const char *p = list;
  for (int i = 0; i < net->cfg.styles; i++) {
    float st[GCN_LAB_STATS];
    for (int k = 0; k < GCN_LAB_STATS; k++) {
      char *end;
      if (!p)
        return -1;
      st[k] = strtof (p, &end);
      if (end == p || (*end != ',' && *end != '\0'))
        return -1;
      p = *end == ',' ? end + 1 : NULL;
    }
    if (gcn_style_set_lab (net, i, st) < 0)
      return -1;
  }
  return p ? -1 : 0;            /* nothing may follow the last number */
}

int
gcn_style_find (const gcn_style *net, const char *name)
{
  if (!name)
    return -1;
  for (int i = 0; i < net->cfg.styles; i++)
    if (net->names[i] && strcmp (net->names[i], name) == 0)
      return i;
  return -1;
}

char *
gcn_style_names_joined (const gcn_style *net)
{
  size_t len = 1;
  for (int i = 0; i < net->cfg.styles; i++)
    len += (net->names[i] ? strlen (net->names[i]) : 16) + 1;
  char *s = malloc (len), *p = s;
  if (!s)
    return NULL;
  *p = '\0';
  for (int i = 0; i < net->cfg.styles; i++) {
    if (net->names[i])
      p += sprintf (p, "%s%s", i ? "," : "", net->names[i]);
    else
      p += sprintf (p, "%sstyle%d", i ? "," : "", i);
  }
  return s;
}

/* Split the comma-separated names; a name is kept only when it is a
 * plain identifier-like token, so metadata cannot inject odd strings. */
static void
parse_names (gcn_style *net, const char *list)
{
  int i = 0;
  const char *p = list;
  while (p && *p && i < net->cfg.styles) {
    const char *end = strchr (p, ',');
    size_t len = end ? (size_t) (end - p) : strlen (p);
    if (len > 0 && len < GC_MAX_NAME) {
      char buf[GC_MAX_NAME];
      memcpy (buf, p, len);
      buf[len] = '\0';
      gcn_style_set_name (net, i, buf);
    }
    i++;
    p = end ? end + 1 : NULL;
  }
}

int
gcn_style_load (gcn_style *net, const gc_model_file *m)
{
  gcn_style_config cfg;

  if (gc_model_check_arch (m, GCN_STYLE_ARCH) < 0)
    return -1;
  cfg.styles = gc_model_meta_get_int (m, "styles", 0);
  cfg.ch1 = gc_model_meta_get_int (m, "ch1", 0);
  cfg.ch2 = gc_model_meta_get_int (m, "ch2", 0);
  cfg.blocks = gc_model_meta_get_int (m, "blocks", -1);
  cfg.skip = gc_model_meta_get_int (m, "skip", 0);
  cfg.head = gc_model_meta_get_int (m, "head", 0);
  if (!config_valid (&cfg)) {
    char msg[256];
    snprintf (msg, sizeof msg, "%s", gc_last_error ());
    gc_set_error ("%s: %s", m->source ? m->source : "model", msg);
    return -1;
  }
  if (gcn_style_init (net, &cfg, NULL) < 0)
    return -1;
  if (gc_model_bind (m, &net->params) < 0) {
    gcn_style_free (net);
    return -1;
  }
  parse_names (net, gc_model_meta_get (m, "style_names"));
  if (cfg.head == 1 && parse_lab (net, gc_model_meta_get (m,
              "lab_stats")) < 0) {
    gc_set_error ("%s: missing or bad lab_stats (%d styles x %d numbers)",
        m->source ? m->source : "model", cfg.styles, GCN_LAB_STATS);
    gcn_style_free (net);
    return -1;
  }
  return 0;
}

int
gcn_style_load_path (gcn_style *net, const char *path)
{
  gc_model_file mf;
  if (gc_model_load (&mf, path) < 0)
    return -1;
  int rc = gcn_style_load (net, &mf);
  gc_model_free (&mf);
  return rc;
}

const char **
gcn_style_meta (const gcn_style *net, char **storage)
{
  /* storage: six small numbers at 16-byte slots, the colour statistics
   * (at most 16 bytes a number), then the names */
  static const char *const keys[] = { "styles", "ch1", "ch2", "blocks",
    "skip", "head" };
  const int vals[] = { net->cfg.styles, net->cfg.ch1, net->cfg.ch2,
    net->cfg.blocks, net->cfg.skip, net->cfg.head };
  enum { NK = 6, NUMS = 16 * NK };
  size_t lab_len = (size_t) net->cfg.styles * GCN_LAB_STATS * 16 + 1;
  char *names = gcn_style_names_joined (net);
  const char **kv = calloc (2 + 2 * NK + 4 + 1, sizeof *kv);
  char *buf = names ? malloc (NUMS + lab_len + strlen (names) + 1) : NULL;
  if (!names || !kv || !buf) {
    free (names);
    free (kv);
    free (buf);
    *storage = NULL;
    return NULL;
  }
  int k = 0;
  kv[k++] = "arch";
  kv[k++] = GCN_STYLE_ARCH;
  for (int i = 0; i < NK; i++) {
    snprintf (buf + 16 * i, 16, "%d", vals[i]);
    kv[k++] = keys[i];
    kv[k++] = buf + 16 * i;
  }
  char *lab = buf + NUMS, *q = lab;
  for (int i = 0; i < net->cfg.styles; i++)
    for (int j = 0; j < GCN_LAB_STATS; j++)
      q += snprintf (q, 16, "%s%.7g", q == lab ? "" : ",", net->lab[i][j]);
  if (net->cfg.head == 1) {
    kv[k++] = "lab_stats";
    kv[k++] = lab;
  }
  char *nm = lab + lab_len;
  strcpy (nm, names);
  free (names);
  kv[k++] = "style_names";
  kv[k++] = nm;
  kv[k] = NULL;
  *storage = buf;
  return kv;
}

void
gcn_style_meta_free (const char **kv, char *storage)
{
  free ((void *) kv);
  free (storage);
}

double
gcn_style_macs (const gcn_style_config *cfg, int w, int h)
{
  double p1 = (double) (w / 2) * (h / 2), p2 = (double) (w / 4) * (h / 4);
  double c1 = cfg->ch1, c2 = cfg->ch2;
  double body = p1 * 27 * c1 + p2 * 9 * c1 * c2
      + cfg->blocks * 2 * p2 * 9 * c2 * c2;
  if (cfg->head == 1)
    return body + p2 * 9 * c2 * c1 + p1 * 9 * c1 * 3;
  return body + p2 * c2 * 4 * c1 + p1 * 9 * c1 * 12;
}

/* ---- elementwise pieces (own loops: exact and free of aliasing rules) --- */

static void
relu_inplace (gc_tensor *t)
{
  size_t n = gc_tensor_size (t);
  float *d = t->data;
  for (size_t i = 0; i < n; i++)
    d[i] = d[i] > 0.f ? d[i] : 0.f;
}

/* g *= (y > 0): the ReLU output decides, as the input would. */
static void
relu_mask (const gc_tensor *y, gc_tensor *g)
{
  size_t n = gc_tensor_size (g);
  const float *yd = y->data;
  float *gd = g->data;
  for (size_t i = 0; i < n; i++)
    if (!(yd[i] > 0.f))
      gd[i] = 0.f;
}

/* ---- training passes ---------------------------------------------------- */

void
gcn_style_acts_free (gcn_style_acts *a)
{
  gc_tensor *all[] = { &a->x, &a->e1, &a->e1n, &a->e2, &a->e2n, &a->u, &a->us,
    &a->usn, &a->o, &a->os, &a->y, &a->ct, &a->g0, &a->g1, &a->g2, &a->gh };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    gc_tensor_free (all[i]);
  for (int i = 0; i < GCN_STYLE_MAX_BLOCKS; i++) {
    gc_tensor_free (&a->ra[i]);
    gc_tensor_free (&a->ran[i]);
    gc_tensor_free (&a->rb[i]);
    gc_tensor_free (&a->rbn[i]);
  }
  for (int i = 0; i <= GCN_STYLE_MAX_BLOCKS; i++)
    gc_tensor_free (&a->h[i]);
  free (a->cls);
  memset (a, 0, sizeof *a);
}

/* Tensors in a zeroed acts struct have dims 0; gc_tensor_resize fixes
 * them, so only the buffers need to exist before use. */

/* Head 1 output: y = clamp (ct (x) + texture), ct the colour transfer of
 * each item to its style's statistics. */
static int
head1_output (gcn_style *net, gcn_style_acts *a, const gc_tensor **y)
{
  const gc_tensor *x = &a->x;
  size_t plane = (size_t) x->h * x->w;
  if (gc_tensor_resize (&a->ct, x->n, 3, x->h, x->w) < 0
      || gc_tensor_resize (&a->y, x->n, 3, x->h, x->w) < 0)
    return -1;
  for (int b = 0; b < x->n; b++) {
    const float *in = x->data + b * 3 * plane;
    float *ct = a->ct.data + b * 3 * plane;
    float st[GCN_LAB_STATS];
    gcn_lab_stats (in, x->w, x->h, GCN_STYLE_STATS_STEP, st);
    gcn_lab_transfer (in, in + plane, in + 2 * plane, ct, ct + plane,
        ct + 2 * plane, plane, st, net->lab[a->cls[b]]);
  }
  size_t n = gc_tensor_size (&a->y);
  for (size_t i = 0; i < n; i++) {
    float v = a->ct.data[i] + a->os.data[i];
    a->y.data[i] = v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
  }
  if (y)
    *y = &a->y;
  return 0;
}

int
gcn_style_forward (gcn_style *net, const gc_tensor *x, const int *cls,
    gcn_style_acts *a, const gc_tensor **y)
{
  int nb = net->cfg.blocks;

  if (x->c != 3 || x->h % GCN_STYLE_MULTIPLE || x->w % GCN_STYLE_MULTIPLE
      || x->h < GCN_STYLE_MULTIPLE || x->w < GCN_STYLE_MULTIPLE) {
    gc_set_error ("style net: input must be (N, 3, H, W) with H, W multiples "
        "of %d, got (%d, %d, %d, %d)", GCN_STYLE_MULTIPLE, x->n, x->c, x->h,
        x->w);
    return -1;
  }
  for (int i = 0; i < x->n; i++)
    if (!cls || cls[i] < 0 || cls[i] >= net->cfg.styles) {
      gc_set_error ("style net: bad style index");
      return -1;
    }
  if (a->cls_cap < x->n) {
    int *c = realloc (a->cls, x->n * sizeof *c);
    if (!c) {
      gc_set_error ("out of memory");
      return -1;
    }
    a->cls = c;
    a->cls_cap = x->n;
  }
  memcpy (a->cls, cls, x->n * sizeof *cls);
  if (gc_tensor_copy (&a->x, x) < 0)
    return -1;

  if (gc_conv2d_forward (&net->enc1, &a->x, &a->e1) < 0)
    return -1;
  if (gc_instnorm_forward (&net->n_enc1, &a->e1, a->cls, &a->e1n) < 0)
    return -1;
  relu_inplace (&a->e1n);
  if (gc_conv2d_forward (&net->enc2, &a->e1n, &a->e2) < 0)
    return -1;
  if (gc_instnorm_forward (&net->n_enc2, &a->e2, a->cls, &a->e2n) < 0)
    return -1;
  relu_inplace (&a->e2n);
  if (gc_tensor_copy (&a->h[0], &a->e2n) < 0)
    return -1;
  for (int i = 0; i < nb; i++) {
    if (gc_conv2d_forward (&net->res_a[i], &a->h[i], &a->ra[i]) < 0)
      return -1;
    if (gc_instnorm_forward (&net->n_res_a[i], &a->ra[i], a->cls,
            &a->ran[i]) < 0)
      return -1;
    relu_inplace (&a->ran[i]);
    if (gc_conv2d_forward (&net->res_b[i], &a->ran[i], &a->rb[i]) < 0)
      return -1;
    if (gc_instnorm_forward (&net->n_res_b[i], &a->rb[i], a->cls,
            &a->rbn[i]) < 0)
      return -1;
    if (gc_add (&a->h[i], &a->rbn[i], &a->h[i + 1]) < 0)
      return -1;
  }
  if (gc_conv2d_forward (&net->up, &a->h[nb], &a->u) < 0)
    return -1;
  if ((net->cfg.head == 1 ? gc_upsample_bilinear_forward (2, &a->u, &a->us)
          : gc_pixel_shuffle_forward (2, &a->u, &a->us)) < 0)
    return -1;
  if (gc_instnorm_forward (&net->n_up, &a->us, a->cls, &a->usn) < 0)
    return -1;
  relu_inplace (&a->usn);
  if (gc_conv2d_forward (&net->out, &a->usn, &a->o) < 0)
    return -1;
  if (net->cfg.head == 1) {
    if (gc_upsample_bilinear_forward (2, &a->o, &a->os) < 0)
      return -1;
    return head1_output (net, a, y);
  }
  if (gc_pixel_shuffle_forward (2, &a->o, &a->os) < 0)
    return -1;
  if (net->cfg.skip) {
    size_t per = (size_t) 3 * x->h * x->w;
    for (int b = 0; b < x->n; b++) {
      float g = net->skip_gain.w[a->cls[b]];
      float *o = a->os.data + b * per;
      const float *in = a->x.data + b * per;
      for (size_t i = 0; i < per; i++)
        o[i] += g * (in[i] - 0.5f);
    }
  }
  if (gc_tensor_resize (&a->y, a->os.n, a->os.c, a->os.h, a->os.w) < 0)
    return -1;
  size_t n = gc_tensor_size (&a->y);
  for (size_t i = 0; i < n; i++)
    a->y.data[i] = gc_sigmoidf_direct (a->os.data[i]);
  if (y)
    *y = &a->y;
  return 0;
}

int
gcn_style_backward (gcn_style *net, gcn_style_acts *a, const gc_tensor *dy,
    gc_tensor *dx)
{
  int nb = net->cfg.blocks;
  gc_tensor *g0 = &a->g0, *g1 = &a->g1, *g2 = &a->g2, *gh = &a->gh;

  if (dy->n != a->y.n || dy->c != a->y.c || dy->h != a->y.h
      || dy->w != a->y.w) {
    gc_set_error ("style net: gradient shape does not match the output");
    return -1;
  }
  if (gc_tensor_resize (g0, dy->n, dy->c, dy->h, dy->w) < 0)
    return -1;
  size_t n = gc_tensor_size (dy);
  if (net->cfg.head == 1) {
    if (dx) {
      gc_set_error ("style net: head 1 gives no input gradient");
      return -1;
    }
    /* the clamp passes the gradient where ct + texture lies inside (0, 1) */
    for (size_t i = 0; i < n; i++) {
      float v = a->ct.data[i] + a->os.data[i];
      g0->data[i] = v > 0.f && v < 1.f ? dy->data[i] : 0.f;
    }
    if (gc_upsample_bilinear_backward (2, g0, g1) < 0)
      return -1;
  } else {
    for (size_t i = 0; i < n; i++) {
      float s = a->y.data[i];
      g0->data[i] = dy->data[i] * s * (1.f - s);
    }
  }
  if (net->cfg.skip) {
    /* gain gradient now; the input gradient of the skip is added at the end */
    size_t per = (size_t) 3 * dy->h * dy->w;
    for (int b = 0; b < dy->n; b++) {
      const float *g = g0->data + b * per, *in = a->x.data + b * per;
      double s = 0;
      for (size_t i = 0; i < per; i++)
        s += (double) g[i] * (in[i] - 0.5f);
      if (net->skip_gain.g)
        net->skip_gain.g[a->cls[b]] += (float) s;
    }
  }
  if (net->cfg.head == 0 && gc_pixel_shuffle_backward (2, g0, g1) < 0)
    return -1;
  if (gc_conv2d_backward (&net->out, &a->usn, g1, g2) < 0)
    return -1;
  relu_mask (&a->usn, g2);
  if (gc_instnorm_backward (&net->n_up, &a->us, a->cls, g2, g1) < 0)
    return -1;
  if ((net->cfg.head == 1 ? gc_upsample_bilinear_backward (2, g1, g2)
          : gc_pixel_shuffle_backward (2, g1, g2)) < 0)
    return -1;
  if (gc_conv2d_backward (&net->up, &a->h[nb], g2, gh) < 0)
    return -1;
  for (int i = nb - 1; i >= 0; i--) {
    if (gc_instnorm_backward (&net->n_res_b[i], &a->rb[i], a->cls, gh, g1) < 0)
      return -1;
    if (gc_conv2d_backward (&net->res_b[i], &a->ran[i], g1, g2) < 0)
      return -1;
    relu_mask (&a->ran[i], g2);
    if (gc_instnorm_backward (&net->n_res_a[i], &a->ra[i], a->cls, g2, g1) < 0)
      return -1;
    if (gc_conv2d_backward (&net->res_a[i], &a->h[i], g1, g2) < 0)
      return -1;
    if (gc_axpy (1.f, g2, gh) < 0)      /* skip path */
      return -1;
  }
  relu_mask (&a->e2n, gh);
  if (gc_instnorm_backward (&net->n_enc2, &a->e2, a->cls, gh, g1) < 0)
    return -1;
  if (gc_conv2d_backward (&net->enc2, &a->e1n, g1, g2) < 0)
    return -1;
  relu_mask (&a->e1n, g2);
  if (gc_instnorm_backward (&net->n_enc1, &a->e1, a->cls, g2, g1) < 0)
    return -1;
  if (gc_conv2d_backward (&net->enc1, &a->x, g1, dx) < 0)
    return -1;
  if (dx && net->cfg.skip) {
    size_t per = (size_t) 3 * dy->h * dy->w;
    for (int b = 0; b < dy->n; b++) {
      float gain = net->skip_gain.w[a->cls[b]];
      const float *g = g0->data + b * per;
      float *d = dx->data + b * per;
      for (size_t i = 0; i < per; i++)
        d[i] += gain * g[i];
    }
  }
  return 0;
}

/* ---- inference ------------------------------------------------------------ */

void
gcn_style_work_free (gcn_style_work *ws)
{
  gc_tensor_free (&ws->x);
  gc_tensor_free (&ws->a);
  gc_tensor_free (&ws->b);
  gc_tensor_free (&ws->c);
  gc_tensor_free (&ws->t);
  free (ws->gamma);
  free (ws->beta);
  memset (ws, 0, sizeof *ws);
}

typedef enum { NORM_RELU, NORM_ADD_INTO } norm_mode;

typedef struct {
  gc_tensor *src, *dst;
  const float *gamma, *beta;
  float eps;
  norm_mode mode;
} norm_job;

/* Sum and centred sum of squares of one plane, in 16 float lanes so the
 * compiler vectorises it (a frame plane is at most a few 100k values, well
 * within float accuracy per lane). */
static void
plane_stats (const float *x, size_t n, float *mean, float *var)
{
  float acc[16] = { 0 };
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++)
      acc[k] += x[i + k];
  double sum = 0;
  for (int k = 0; k < 16; k++)
    sum += acc[k];
  for (; i < n; i++)
    sum += x[i];
  float m = (float) (sum / n);
  for (int k = 0; k < 16; k++)
    acc[k] = 0.f;
  for (i = 0; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) {
      float d = x[i + k] - m;
      acc[k] += d * d;
    }
  double sq = 0;
  for (int k = 0; k < 16; k++)
    sq += acc[k];
  for (; i < n; i++)
    sq += (double) (x[i] - m) * (x[i] - m);
  *mean = m;
  *var = (float) (sq / n);
}

/* Instance norm of one frame with given (blended) rows, then either ReLU in
 * place or "dst += norm(src)" (the residual add), one channel per item. */
static void
norm_channels (void *ctx, int begin, int end, int worker)
{
  norm_job *j = ctx;
  size_t hw = (size_t) j->src->h * j->src->w;
  for (int c = begin; c < end; c++) {
    float *x = j->src->data + c * hw;
    float mean, var;
    plane_stats (x, hw, &mean, &var);
    float inv = 1.f / sqrtf (var + j->eps);
    float scale = j->gamma[c] * inv;
    float shift = j->beta[c] - mean * scale;
    if (j->mode == NORM_RELU) {
      for (size_t i = 0; i < hw; i++) {
        float v = x[i] * scale + shift;
        x[i] = v > 0.f ? v : 0.f;
      }
    } else {
      float *d = j->dst->data + c * hw;
      for (size_t i = 0; i < hw; i++)
        d[i] += x[i] * scale + shift;
    }
  }
}

static void
norm_apply (const gc_instnorm *l, const float *gamma, const float *beta,
    gc_tensor *src, gc_tensor *dst, norm_mode mode)
{
  norm_job j = { src, dst, gamma, beta, l->eps, mode };
  gc_parallel_for (gc_current_threads (), src->c, norm_channels, &j);
}

/* Blend the style rows of one norm into ws->gamma/beta at offset off. */
static void
blend_rows (const gc_instnorm *l, const float *mix, float *gamma, float *beta)
{
  for (int c = 0; c < l->channels; c++) {
    float g = 0.f, b = 0.f;
    for (int s = 0; s < l->classes; s++) {
      if (mix[s] == 0.f)
        continue;
      g += mix[s] * l->gamma.w[s * l->channels + c];
      b += mix[s] * l->beta.w[s * l->channels + c];
    }
    gamma[c] = g;
    beta[c] = b;
  }
}

/* Copy the frame into a padded tensor with GCN_STYLE_MARGIN replicated
 * pixels on every side and the rest of the padding (up to the multiple)
 * on the right and bottom: edges then look like the picture continues, not
 * like a black border. */
static void
pad_input (const float *rgb, int w, int h, gc_tensor *x)
{
  const int m = GCN_STYLE_MARGIN;
  int pw = x->w, ph = x->h;
  for (int c = 0; c < 3; c++) {
    const float *src = rgb + (size_t) c * w * h;
    float *dst = x->data + (size_t) c * pw * ph;
    for (int y = 0; y < ph; y++) {
      int sy = y - m < 0 ? 0 : (y - m >= h ? h - 1 : y - m);
      const float *row = src + (size_t) sy * w;
      float *out = dst + (size_t) y * pw;
      for (int i = 0; i < m; i++)
        out[i] = row[0];
      memcpy (out + m, row, w * sizeof *out);
      for (int i = m + w; i < pw; i++)
        out[i] = row[w - 1];
    }
  }
}

/* The output sigmoid over a row, written so the compiler vectorises it:
 * exp(-v) from gcn_fast_exp2, and the clamp to +-87 as arithmetic max/min
 * (float compares would be branches, which stop the vectoriser). */
static void
sigmoid_inplace (float *row, int n)
{
  for (int x = 0; x < n; x++) {
    float v = -row[x];
    v = 0.5f * (v - 87.f + __builtin_fabsf (v + 87.f));
    v = 0.5f * (v + 87.f - __builtin_fabsf (v - 87.f));
    row[x] = 1.f / (1.f + gcn_fast_exp2 (v * 1.44269504f));
  }
}

/* The last stage in one pass: pixel shuffle by 2, sigmoid, and the crop
 * back to the frame size, reading the out conv's (12, H/2, W/2) planes. */
typedef struct {
  const gc_tensor *t;
  const gc_tensor *x;       /* padded input, for the skip */
  float gain;               /* blended skip gain, 0 without skip */
  float *out;
  int w, h;
} final_job;

static void
final_rows (void *ctx, int begin, int end, int worker)
{
  final_job *j = ctx;
  const gc_tensor *t = j->t;
  const int m = GCN_STYLE_MARGIN;   /* even: the pixel-shuffle phase holds */
  size_t plane = (size_t) t->h * t->w;
  float row[2][8200];
  for (int r = begin; r < end; r++) {
    int c = r / j->h, y = r % j->h, py = y + m, i = py & 1;
    float *dst = j->out + ((size_t) c * j->h + y) * j->w;
    const float *in = j->x->data + ((size_t) c * j->x->h + py) * j->x->w + m;
    for (int k = 0; k < 2; k++) {
      const float *src = t->data + (c * 4 + i * 2 + k) * plane
          + (size_t) (py >> 1) * t->w;
      memcpy (row[k], src, t->w * sizeof (float));
    }
    for (int x = 0; x < j->w; x++)
      dst[x] = row[x & 1][(x + m) >> 1] + j->gain * (in[x] - 0.5f);
    sigmoid_inplace (dst, j->w);
  }
}

/* Head 1's last stage, one output row (all three colours) per item: the
 * colour transfer of the input row, plus the upsampled texture, clamped. */
typedef struct {
  const gc_tensor *t;       /* upsampled texture, padded size */
  const gc_tensor *x;       /* padded input */
  const float *from, *to;   /* frame and (blended) style statistics */
  float *out;
  int w, h;
} final1_job;

static void
final1_rows (void *ctx, int begin, int end, int worker)
{
  final1_job *j = ctx;
  const int m = GCN_STYLE_MARGIN;
  size_t in_plane = (size_t) j->x->h * j->x->w, out_plane = (size_t) j->w * j->h;
  for (int y = begin; y < end; y++) {
    size_t in_off = (size_t) (y + m) * j->x->w + m;
    const float *r = j->x->data + in_off;
    float *o = j->out + (size_t) y * j->w;
    gcn_lab_transfer (r, r + in_plane, r + 2 * in_plane, o, o + out_plane,
        o + 2 * out_plane, j->w, j->from, j->to);
    for (int c = 0; c < 3; c++) {
      const float *t = j->t->data + c * in_plane + in_off;
      float *d = o + c * out_plane;
      for (int x = 0; x < j->w; x++) {
        float v = d[x] + t[x];
        d[x] = v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
      }
    }
  }
}

int
gcn_style_infer (gcn_style *net, const float *rgb, int w, int h,
    const float *mix, float *out, gcn_style_work *ws)
{
  const gcn_style_config *cfg = &net->cfg;
  int m = GCN_STYLE_MULTIPLE;
  int nb = cfg->blocks;
  int norms = 3 + 2 * nb;

  if (!rgb || !out || !mix || w < 1 || h < 1 || w > 16384 || h > 16384) {
    /* (16384: final_rows keeps half a row of each colour on its stack) */
    gc_set_error ("style net: bad frame (%dx%d)", w, h);
    return -1;
  }
  int rows = norms * (cfg->ch1 > cfg->ch2 ? cfg->ch1 : cfg->ch2);
  if (ws->rows_cap < rows) {
    float *g = realloc (ws->gamma, rows * sizeof *g);
    if (g)
      ws->gamma = g;
    float *b = realloc (ws->beta, rows * sizeof *b);
    if (b)
      ws->beta = b;
    if (!g || !b) {
      gc_set_error ("out of memory");
      return -1;
    }
    ws->rows_cap = rows;
  }
  if (gc_tensor_resize (&ws->x, 1, 3, (h + 2 * GCN_STYLE_MARGIN + m - 1) / m * m,
          (w + 2 * GCN_STYLE_MARGIN + m - 1) / m * m) < 0)
    return -1;
  pad_input (rgb, w, h, &ws->x);

  /* one blended row pair per norm, in network order */
  int stride = cfg->ch1 > cfg->ch2 ? cfg->ch1 : cfg->ch2;
  const gc_instnorm *order[3 + 2 * GCN_STYLE_MAX_BLOCKS];
  int k = 0;
  order[k++] = &net->n_enc1;
  order[k++] = &net->n_enc2;
  for (int i = 0; i < nb; i++) {
    order[k++] = &net->n_res_a[i];
    order[k++] = &net->n_res_b[i];
  }
  order[k++] = &net->n_up;
  for (int i = 0; i < k; i++)
    blend_rows (order[i], mix, ws->gamma + i * stride, ws->beta + i * stride);
#define ROW(i) ws->gamma + (i) * stride, ws->beta + (i) * stride

  if (gc_conv2d_forward (&net->enc1, &ws->x, &ws->a) < 0)
    return -1;
  norm_apply (&net->n_enc1, ROW (0), &ws->a, NULL, NORM_RELU);
  if (gc_conv2d_forward (&net->enc2, &ws->a, &ws->b) < 0)
    return -1;
  norm_apply (&net->n_enc2, ROW (1), &ws->b, NULL, NORM_RELU);
  for (int i = 0; i < nb; i++) {
    if (gc_conv2d_forward (&net->res_a[i], &ws->b, &ws->a) < 0)
      return -1;
    norm_apply (&net->n_res_a[i], ROW (2 + 2 * i), &ws->a, NULL, NORM_RELU);
    if (gc_conv2d_forward (&net->res_b[i], &ws->a, &ws->c) < 0)
      return -1;
    norm_apply (&net->n_res_b[i], ROW (3 + 2 * i), &ws->c, &ws->b,
        NORM_ADD_INTO);
  }
  if (gc_conv2d_forward (&net->up, &ws->b, &ws->a) < 0)
    return -1;
  if ((cfg->head == 1 ? gc_upsample_bilinear_forward (2, &ws->a, &ws->c)
          : gc_pixel_shuffle_forward (2, &ws->a, &ws->c)) < 0)
    return -1;
  norm_apply (&net->n_up, ROW (2 + 2 * nb), &ws->c, NULL, NORM_RELU);
  if (gc_conv2d_forward (&net->out, &ws->c, &ws->a) < 0)
    return -1;
#undef ROW

  if (cfg->head == 1) {
    if (gc_upsample_bilinear_forward (2, &ws->a, &ws->t) < 0)
      return -1;
    gcn_lab_stats (ws->x.data, ws->x.w, ws->x.h, GCN_STYLE_STATS_STEP,
        ws->lab_from);
    for (int k = 0; k < GCN_LAB_STATS; k++) {
      float v = 0.f;
      for (int s = 0; s < cfg->styles; s++)
        v += mix[s] * net->lab[s][k];
      ws->lab_to[k] = v;
    }
    final1_job fj = { &ws->t, &ws->x, ws->lab_from, ws->lab_to, out, w, h };
    gc_parallel_for (gc_current_threads (), h, final1_rows, &fj);
    /* the palette lock: the texture layer moves the colours off the
     * transfer's exact mean and spread, so match them once more */
    gcn_lab_match (out, w, h, GCN_STYLE_STATS_STEP, ws->lab_to);
    return 0;
  }

  float gain = 0.f;
  if (cfg->skip)
    for (int s = 0; s < cfg->styles; s++)
      gain += mix[s] * net->skip_gain.w[s];
  final_job fj = { &ws->a, &ws->x, gain, out, w, h };
  gc_parallel_for (gc_current_threads (), 3 * h, final_rows, &fj);
  return 0;
}
