/* gan-train log: a recipe that changes its loss set between phases gets
 * one CSV with the union of the columns (empty cells where a loss is
 * absent), a valid plot, and a resume that drops rows past the checkpoint. */
#include "tcheck.h"
#include "png_check.h"

#include "gt.h"

#include <math.h>

static char *
read_text (const char *path)
{
  size_t n;
  unsigned char *d = tcheck_read_file (path, &n);
  if (!d)
    return NULL;
  char *s = realloc (d, n + 1);
  s[n] = '\0';
  return s;
}

/* The loss cells of the row for `step` (after "step,time,"), or "". */
static const char *
row_losses (const char *csv, long step)
{
  static char buf[256];
  char key[32];
  snprintf (key, sizeof key, "\n%ld,", step);
  const char *r = strstr (csv, key);
  buf[0] = '\0';
  if (!r || !(r = strchr (r + strlen (key), ',')))
    return buf;
  size_t len = strcspn (r + 1, "\n");
  if (len < sizeof buf) {
    memcpy (buf, r + 1, len);
    buf[len] = '\0';
  }
  return buf;
}

static int
count_lines (const char *s)
{
  int n = 0;
  for (; s && *s; s++)
    n += *s == '\n';
  return n;
}

int
main (void)
{
  char *dir = tcheck_tmpdir ("log");
  REQUIRE (dir, "no temp dir");
  gt_ctx c;
  memset (&c, 0, sizeof c);
  c.recipe = "test";
  c.run_dir = dir;
  c.steps = 30;
  c.log_every = 10;
  c.quiet = 1;

  const char *warm[] = { "l1", "psnr" }, *gan[] = { "l1", "d_loss", "g_loss" };
  for (long s = 1; s <= 30; s++) {
    if (s <= 10) {
      float v[2] = { 1.0f / s, 20.0f + s };
      gt_log_step (&c, s, 2, warm, v);
    } else {
      float v[3] = { 0.5f / s, 0.7f, 0.69f };
      gt_log_step (&c, s, 3, gan, v);
    }
  }
  gt_finish (&c);
  CHECK (c.log == NULL, "gt_finish must release the log");

  char path[600];
  snprintf (path, sizeof path, "%s/log.csv", dir);
  char *csv = read_text (path);
  REQUIRE (csv, "no log.csv");
  CHECK (!strncmp (csv, "step,time_s,l1,psnr,d_loss,g_loss\n", 34),
      "header: %.60s", csv);
  CHECK (count_lines (csv) == 31, "%d lines", count_lines (csv));
  /* Step 5 has no GAN losses, step 20 no PSNR. */
  char want[256];
  snprintf (want, sizeof want, "%.9g,25,,", 1.0f / 5);
  CHECK (!strcmp (row_losses (csv, 5), want), "row 5: %s", row_losses (csv, 5));
  snprintf (want, sizeof want, "%.9g,,%.9g,%.9g", 0.5f / 20, 0.7f, 0.69f);
  CHECK (!strcmp (row_losses (csv, 20), want), "row 20: %s",
      row_losses (csv, 20));
  free (csv);

  snprintf (path, sizeof path, "%s/loss.png", dir);
  size_t n;
  unsigned char *png = tcheck_read_file (path, &n);
  int w, h;
  uint8_t *rgb = NULL;
  const char *why = "";
  CHECK (png && png_check_decode (png, n, &w, &h, &rgb, &why) == 0,
      "loss.png: %s", png ? why : "missing");
  free (rgb);
  free (png);

  /* Resume from step 15: rows 16..30 go, the run continues from there. */
  c.resume = 1;
  c.start_step = 15;
  for (long s = 16; s <= 20; s++) {
    float v[3] = { 1, 2, 3 };
    gt_log_step (&c, s, 3, gan, v);
  }
  gt_finish (&c);
  snprintf (path, sizeof path, "%s/log.csv", dir);
  csv = read_text (path);
  REQUIRE (csv, "no log.csv after resume");
  CHECK (count_lines (csv) == 21, "%d lines after resume", count_lines (csv));
  CHECK (strstr (csv, "\n15,") && strstr (csv, "\n16,") && !strstr (csv, "\n21,"),
      "rows after resume");
  CHECK (!strcmp (row_losses (csv, 16), "1,,2,3"), "row 16: %s",
      row_losses (csv, 16));
  snprintf (want, sizeof want, "%.9g,23,,", 1.0f / 3);
  CHECK (!strcmp (row_losses (csv, 3), want), "kept row 3: %s",
      row_losses (csv, 3));
  free (csv);

  /* Names that would break the CSV are cleaned, consistently each step. */
  c.resume = 0;
  c.start_step = 0;
  const char *odd[] = { "a,b", "x\ny" };
  for (long s = 1; s <= 3; s++) {
    float v[2] = { 1, 2 };
    gt_log_step (&c, s, 2, odd, v);
  }
  gt_finish (&c);
  csv = read_text (path);
  CHECK (csv && !strncmp (csv, "step,time_s,a_b,x_y\n", 20)
      && count_lines (csv) == 4, "odd names: %s", csv);
  free (csv);

  /* A foreign file in the way is replaced, not parsed into garbage. */
  c.resume = 1;
  FILE *f = fopen (path, "w");
  fputs ("hello,world\n1,2\n", f);
  fclose (f);
  c.start_step = 1;
  float v[2] = { 1, 2 };
  gt_log_step (&c, 2, 2, warm, v);
  gt_finish (&c);
  csv = read_text (path);
  CHECK (csv && !strncmp (csv, "step,time_s,l1,psnr\n2,", 22)
      && count_lines (csv) == 2, "after a foreign file: %s", csv);
  free (csv);

  tcheck_rmtree (dir);
  free (dir);
  return gan_test_report ("test_log");
}
