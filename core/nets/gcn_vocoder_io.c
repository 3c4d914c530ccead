/* gcn_vocoder — model files: metadata out, config and weights in. */
#include "gcn_vocoder_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
gcn_vocoder_meta (const gcn_vocoder *v, const char **kv, int max_kv,
    char *store, size_t store_size)
{
  const gcn_vocoder_config *c = &v->cfg;
  struct { const char *key; char val[32]; } items[] = {
    { "arch", GCN_VOCODER_ARCH }, { "sample_rate", "" }, { "n_fft", "" },
    { "hop", "" }, { "n_mels", "" }, { "channels", "" }, { "task", "" },
    { "fmin", "" }, { "fmax", "" }, { "lowband_hz", "" }, { "fade_hz", "" },
    { "refine_lookahead", "" }, { "refine_iters", "" },
    { "refine_momentum", "" },
  };
  snprintf (items[1].val, 32, "%d", c->sample_rate);
  snprintf (items[2].val, 32, "%d", c->n_fft);
  snprintf (items[3].val, 32, "%d", c->hop);
  snprintf (items[4].val, 32, "%d", c->n_mels);
  snprintf (items[5].val, 32, "%d", c->channels);
  snprintf (items[6].val, 32, "%s", c->task == GCN_VOCODER_NB2WB ? "nb2wb"
      : "copy");
  snprintf (items[7].val, 32, "%g", c->fmin);
  snprintf (items[8].val, 32, "%g", c->fmax);
  snprintf (items[9].val, 32, "%g", c->lowband_hz);
  snprintf (items[10].val, 32, "%g", c->fade_hz);
  snprintf (items[11].val, 32, "%d", c->refine_lookahead);
  snprintf (items[12].val, 32, "%d", c->refine_iters);
  snprintf (items[13].val, 32, "%g", c->refine_momentum);
  int n = (int) (sizeof items / sizeof items[0]), used = 0;
  size_t off = 0;
  for (int i = 0; i < n && used + 3 <= max_kv; i++) {
    size_t lk = strlen (items[i].key) + 1, lv = strlen (items[i].val) + 1;
    if (off + lk + lv > store_size)
      break;
    memcpy (store + off, items[i].key, lk);
    kv[used++] = store + off;
    off += lk;
    memcpy (store + off, items[i].val, lv);
    kv[used++] = store + off;
    off += lv;
  }
  kv[used] = NULL;
}

int
gcn_vocoder_load (gcn_vocoder *v, const gc_model_file *m)
{
  memset (v, 0, sizeof *v);
  if (gc_model_check_arch (m, GCN_VOCODER_ARCH) < 0)
    return -1;
  gcn_vocoder_config cfg;
  const char *task = gc_model_meta_get (m, "task");
  gcn_vocoder_config_default (&cfg, task && !strcmp (task, "nb2wb")
      ? GCN_VOCODER_NB2WB : GCN_VOCODER_COPY);
  if (task && strcmp (task, "nb2wb") && strcmp (task, "copy")) {
    gc_set_error ("%s: unknown vocoder task '%s'", m->source, task);
    return -1;
  }
  cfg.sample_rate = gc_model_meta_get_int (m, "sample_rate", cfg.sample_rate);
  cfg.n_fft = gc_model_meta_get_int (m, "n_fft", cfg.n_fft);
  cfg.hop = gc_model_meta_get_int (m, "hop", cfg.hop);
  cfg.n_mels = gc_model_meta_get_int (m, "n_mels", cfg.n_mels);
  cfg.channels = gc_model_meta_get_int (m, "channels", cfg.channels);
  cfg.fmin = gc_model_meta_get_float (m, "fmin", cfg.fmin);
  cfg.fmax = gc_model_meta_get_float (m, "fmax", cfg.sample_rate / 2.0f);
  cfg.lowband_hz = gc_model_meta_get_float (m, "lowband_hz", cfg.lowband_hz);
  cfg.fade_hz = gc_model_meta_get_float (m, "fade_hz", cfg.fade_hz);
  /* files from before the refinement have none: off */
  cfg.refine_lookahead = gc_model_meta_get_int (m, "refine_lookahead", 0);
  cfg.refine_iters = gc_model_meta_get_int (m, "refine_iters", 0);
  cfg.refine_momentum = gc_model_meta_get_float (m, "refine_momentum", 0);
  if (gcn_vocoder_init (v, &cfg, 1) < 0) {
    char msg[256];
    snprintf (msg, sizeof msg, "%s", gc_last_error ());
    gc_set_error ("%s: %s", m->source, msg);
    return -1;
  }
  if (gc_model_bind (m, &v->params) < 0) {
    gcn_vocoder_free (v);
    return -1;
  }
  return 0;
}

int
gcn_vocoder_load_file (gcn_vocoder *v, const char *path)
{
  gc_model_file m;
  memset (v, 0, sizeof *v);
  if (gc_model_load (&m, path) < 0)
    return -1;
  int ret = gcn_vocoder_load (v, &m);
  gc_model_free (&m);
  return ret;
}

int
gcn_vocoder_load_mem (gcn_vocoder *v, const void *data, size_t size,
    const char *source)
{
  gc_model_file m;
  memset (v, 0, sizeof *v);
  if (gc_model_parse (&m, data, size, source) < 0)
    return -1;
  int ret = gcn_vocoder_load (v, &m);
  gc_model_free (&m);
  return ret;
}
