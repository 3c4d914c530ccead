/* gcn_vocoder_disc — multi-period and multi-resolution discriminators. */
#include "gcn_vocoder_disc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOPE 0.1f

static const int periods[] = { 2, 3, 5, 7, 11 };
static const int res_fft[] = { 256, 512, 1024 };

int
gcn_vocoder_disc_init (gcn_vocoder_disc *d, int channels, uint64_t seed)
{
  memset (d, 0, sizeof *d);
  if (channels < 1 || channels > 256) {
    gc_set_error ("vocoder disc: bad channel count %d", channels);
    return -1;
  }
  d->channels = channels;
  gc_rng r;
  gc_rng_seed (&r, seed);
  int C = channels, ok = 1;
  int ch[GCN_VDISC_LAYERS + 1] = { 1, C, 2 * C, 4 * C, 4 * C, 1 };
  for (int i = 0; ok && i < 5; i++) {
    gcn_vdisc_sub *s = &d->sub[d->n_sub++];
    s->kind = 0;
    s->period = periods[i];
    for (int l = 0; ok && l < GCN_VDISC_LAYERS; l++) {
      char name[48];
      snprintf (name, sizeof name, "mpd%d.conv%d", s->period, l);
      int last = l == GCN_VDISC_LAYERS - 1;
      int k = last ? 3 : 5, stride = l < 3 ? 3 : 1;
      ok = gc_conv1d_init (&s->c1[l], name, ch[l], ch[l + 1], k, stride, 1,
          k / 2, 1, 0, &r) == 0;
      if (ok)
        gc_conv1d_params (&s->c1[l], &d->params);
    }
  }
  int cm[GCN_VDISC_LAYERS + 1] = { 1, C, C, C, C, 1 };
  for (int i = 0; ok && i < 3; i++) {
    gcn_vdisc_sub *s = &d->sub[d->n_sub++];
    s->kind = 1;
    s->n_fft = res_fft[i];
    s->hop = res_fft[i] / 4;
    s->stft = gc_stft_new (s->n_fft, s->n_fft, s->hop, GC_WIN_HANN);
    ok = s->stft != NULL;
    for (int l = 0; ok && l < GCN_VDISC_LAYERS; l++) {
      char name[48];
      snprintf (name, sizeof name, "mrd%d.conv%d", s->n_fft, l);
      int stride = (l == 1 || l == 2) ? 2 : 1;
      ok = gc_conv2d_init (&s->c2[l], name, cm[l], cm[l + 1], 3, stride, 1,
          1, 1, 1, &r) == 0;
      if (ok)
        gc_conv2d_params (&s->c2[l], &d->params);
    }
  }
  if (!ok) {
    if (!gc_last_error ()[0])
      gc_set_error ("vocoder disc: out of memory");
    gcn_vocoder_disc_free (d);
    return -1;
  }
  return 0;
}

void
gcn_vocoder_disc_free (gcn_vocoder_disc *d)
{
  for (int i = 0; i < d->n_sub; i++) {
    gcn_vdisc_sub *s = &d->sub[i];
    for (int l = 0; l < GCN_VDISC_LAYERS; l++) {
      if (s->kind == 0)
        gc_conv1d_free (&s->c1[l]);
      else
        gc_conv2d_free (&s->c2[l]);
    }
    gc_stft_free (s->stft);
  }
  gc_param_list_free (&d->params);
  memset (d, 0, sizeof *d);
}

void
gcn_vdisc_acts_free (gcn_vdisc_acts *a)
{
  for (int s = 0; s < GCN_VDISC_MAX_SUB; s++) {
    gc_tensor_free (&a->in[s]);
    for (int l = 0; l < GCN_VDISC_LAYERS; l++) {
      gc_tensor_free (&a->pre[s][l]);
      gc_tensor_free (&a->act[s][l]);
    }
    free (a->spec[s]);
    free (a->mag[s]);
  }
  gc_tensor_free (&a->d0);
  gc_tensor_free (&a->d1);
  memset (a, 0, sizeof *a);
}

/* Fold (batch, len) into (batch * p, 1, 1, rows): column j of item b is
 * batch entry b * p + j; the tail is zero-padded. */
static int
fold_period (const float *x, int batch, int len, int p, gc_tensor *t)
{
  int rows = (len + p - 1) / p;
  if (gc_tensor_resize (t, batch * p, 1, 1, rows) < 0)
    return -1;
  for (int b = 0; b < batch; b++)
    for (int j = 0; j < p; j++) {
      float *dst = t->data + ((size_t) b * p + j) * rows;
      for (int r = 0; r < rows; r++) {
        int i = r * p + j;
        dst[r] = i < len ? x[(size_t) b * len + i] : 0.0f;
      }
    }
  return 0;
}

static int
spec_input (gcn_vdisc_sub *s, const float *x, int batch, int len,
    gcn_vdisc_acts *a, int si)
{
  int frames = gc_stft_frames (s->stft, len), bins = gc_stft_bins (s->stft);
  size_t need = (size_t) batch * frames * bins;
  if (a->spec_cap[si] < need) {
    free (a->spec[si]);
    free (a->mag[si]);
    a->spec[si] = malloc (need * 2 * sizeof (float));
    a->mag[si] = malloc (need * sizeof (float));
    a->spec_cap[si] = need;
    if (!a->spec[si] || !a->mag[si]) {
      a->spec_cap[si] = 0;
      gc_set_error ("vocoder disc: out of memory");
      return -1;
    }
  }
  if (gc_tensor_resize (&a->in[si], batch, 1, frames, bins) < 0)
    return -1;
  for (int b = 0; b < batch; b++) {
    float *sp = a->spec[si] + (size_t) b * frames * bins * 2;
    if (gc_stft_forward (s->stft, x + (size_t) b * len, len, sp) < 0)
      return -1;
    for (size_t i = 0; i < (size_t) frames * bins; i++) {
      float m = hypotf (sp[2 * i], sp[2 * i + 1]);
      a->mag[si][(size_t) b * frames * bins + i] = m;
      /* log1p keeps quiet bins visible without exploding at zero */
      a->in[si].data[(size_t) b * frames * bins + i] = log1pf (m);
    }
  }
  return 0;
}

int
gcn_vocoder_disc_forward (gcn_vocoder_disc *d, const float *x, int batch,
    int len, gcn_vdisc_acts *a)
{
  if (!x || batch < 1 || len < 1024) {
    gc_set_error ("vocoder disc: need at least 1024 samples, got %d", len);
    return -1;
  }
  a->batch = batch;
  a->len = len;
  for (int si = 0; si < d->n_sub; si++) {
    gcn_vdisc_sub *s = &d->sub[si];
    int rc = s->kind == 0 ? fold_period (x, batch, len, s->period, &a->in[si])
        : spec_input (s, x, batch, len, a, si);
    if (rc < 0)
      return -1;
    const gc_tensor *cur = &a->in[si];
    for (int l = 0; l < GCN_VDISC_LAYERS; l++) {
      rc = s->kind == 0 ? gc_conv1d_forward (&s->c1[l], cur, &a->pre[si][l])
          : gc_conv2d_forward (&s->c2[l], cur, &a->pre[si][l]);
      if (rc < 0)
        return -1;
      if (l < GCN_VDISC_LAYERS - 1) {
        if (gc_act_forward (GC_ACT_LEAKY_RELU, SLOPE, &a->pre[si][l],
                &a->act[si][l]) < 0)
          return -1;
        cur = &a->act[si][l];
      }
    }
  }
  return 0;
}

float
gcn_vocoder_disc_backward (gcn_vocoder_disc *d, gcn_vdisc_acts *a,
    const float *x, float *const *d_logits, const gcn_vdisc_acts *fm_real,
    float fm_weight, float *dx)
{
  double fm = 0;
  int batch = a->batch, len = a->len;
  for (int si = 0; si < d->n_sub; si++) {
    gcn_vdisc_sub *s = &d->sub[si];
    int L = GCN_VDISC_LAYERS;
    gc_tensor *g = &a->d0, *gn = &a->d1;
    const gc_tensor *lg = &a->pre[si][L - 1];
    if (gc_tensor_resize (g, lg->n, lg->c, lg->h, lg->w) < 0)
      return -1.0f;
    if (d_logits && d_logits[si])
      memcpy (g->data, d_logits[si], gc_tensor_size (g) * sizeof (float));
    else
      gc_tensor_zero (g);
    for (int l = L - 1; l >= 0; l--) {
      if (l < L - 1) {
        /* g holds dL/d act[l]: add feature matching, then through LReLU */
        gc_tensor *act = &a->act[si][l];
        if (fm_real) {
          const gc_tensor *ref = &fm_real->act[si][l];
          size_t n = gc_tensor_size (act);
          if (n == gc_tensor_size (ref) && n) {
            double sum = 0;
            float w = fm_weight / n;
            for (size_t i = 0; i < n; i++) {
              float df = act->data[i] - ref->data[i];
              sum += fabsf (df);
              g->data[i] += df > 0 ? w : df < 0 ? -w : 0.0f;
            }
            fm += sum / n;
          }
        }
        if (gc_act_backward (GC_ACT_LEAKY_RELU, SLOPE, &a->pre[si][l], act,
                g, g) < 0)
          return -1.0f;
      }
      const gc_tensor *in = l ? &a->act[si][l - 1] : &a->in[si];
      int want_dx = l > 0 || dx != NULL;
      int rc = s->kind == 0 ?
          gc_conv1d_backward (&s->c1[l], in, g, want_dx ? gn : NULL) :
          gc_conv2d_backward (&s->c2[l], in, g, want_dx ? gn : NULL);
      if (rc < 0)
        return -1.0f;
      if (!want_dx)
        break;
      gc_tensor *t = g;
      g = gn;
      gn = t;
    }
    if (!dx)
      continue;
    /* g: dL/d(input of the sub) */
    if (s->kind == 0) {
      int p = s->period, rows = g->w;
      for (int b = 0; b < batch; b++)
        for (int j = 0; j < p; j++) {
          const float *src = g->data + ((size_t) b * p + j) * rows;
          for (int r = 0; r < rows; r++) {
            int i = r * p + j;
            if (i < len)
              dx[(size_t) b * len + i] += src[r];
          }
        }
    } else {
      int frames = g->h, bins = g->w;
      size_t fb = (size_t) frames * bins;
      float *dmag = malloc (fb * sizeof (float));
      if (!dmag) {
        gc_set_error ("vocoder disc: out of memory");
        return -1.0f;
      }
      for (int b = 0; b < batch; b++) {
        const float *mag = a->mag[si] + b * fb;
        for (size_t i = 0; i < fb; i++)
          dmag[i] = g->data[b * fb + i] / (1.0f + mag[i]);
        gc_stft_mag_backward (s->stft, x + (size_t) b * len, len,
            a->spec[si] + b * fb * 2, dmag, dx + (size_t) b * len);
      }
      free (dmag);
    }
  }
  return (float) (fm_weight * fm);
}

float **
gcn_vdisc_grads_alloc (const gcn_vocoder_disc *d, const gcn_vdisc_acts *a)
{
  float **g = calloc (GCN_VDISC_MAX_SUB, sizeof (float *));
  if (!g)
    return NULL;
  for (int s = 0; s < d->n_sub; s++) {
    g[s] = calloc (gc_tensor_size (gcn_vdisc_logits (a, s)) + 1,
        sizeof (float));
    if (!g[s]) {
      gcn_vdisc_grads_free (d, g);
      return NULL;
    }
  }
  return g;
}

void
gcn_vdisc_grads_free (const gcn_vocoder_disc *d, float **g)
{
  if (!g)
    return;
  for (int s = 0; s < GCN_VDISC_MAX_SUB; s++)
    free (g[s]);
  free (g);
}

float
gcn_vdisc_d_loss (const gcn_vocoder_disc *d, gc_gan_loss kind,
    const gcn_vdisc_acts *real, const gcn_vdisc_acts *fake, float **g_real,
    float **g_fake)
{
  float loss = 0;
  for (int s = 0; s < d->n_sub; s++) {
    const gc_tensor *lr = gcn_vdisc_logits (real, s);
    const gc_tensor *lf = gcn_vdisc_logits (fake, s);
    loss += gc_gan_d_loss (kind, lr->data, (int) gc_tensor_size (lr),
        lf->data, (int) gc_tensor_size (lf), g_real ? g_real[s] : NULL,
        g_fake ? g_fake[s] : NULL);
  }
  return loss;
}

float
gcn_vdisc_g_loss (const gcn_vocoder_disc *d, gc_gan_loss kind,
    const gcn_vdisc_acts *fake, float **g_fake)
{
  float loss = 0;
  for (int s = 0; s < d->n_sub; s++) {
    const gc_tensor *lf = gcn_vdisc_logits (fake, s);
    loss += gc_gan_g_loss (kind, lf->data, (int) gc_tensor_size (lf),
        g_fake ? g_fake[s] : NULL);
  }
  return loss;
}
