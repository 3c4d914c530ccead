/* MATLAB-style bicubic imresize: values worked out by hand from MATLAB's
 * contributions () formula (cubic a = -0.5, mirrored borders, antialiased
 * shrinking), plus the properties every resampler of this family has. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gcn_resize.h"
#include "gan_test.h"

int
main (void)
{
  /* Upscale [1 2 3 4] by 2. First output: u = 0.75, taps (mirrored)
   * x1 x1 x2 x2... weights cubic(1.75), cubic(0.75), cubic(0.25),
   * cubic(1.25) = -0.0234375, 0.2265625, 0.8671875, -0.0703125 on
   * x2, x1, x1, x2: 1.09375 x1 - 0.09375 x2 = 0.90625. Second: u = 1.25,
   * -0.0703125 x1 + 0.8671875 x1 + 0.2265625 x2 - 0.0234375 x3. */
  float row[4] = { 1, 2, 3, 4 }, up[8];
  CHECK (gcn_imresize_bicubic (row, 4, 1, 4, up, 8, 1, 8) == 0, "upscale");
  CHECK (fabsf (up[0] - 0.90625f) < 1e-5f, "up[0] = %f", up[0]);
  CHECK (fabsf (up[1] - 1.1796875f) < 1e-5f, "up[1] = %f", up[1]);
  /* Mirror symmetry: the ramp reversed gives the reversed output. */
  CHECK (fabsf (up[7] - (5.f - 0.90625f)) < 1e-5f, "up[7] = %f", up[7]);
  /* Keys' cubic reproduces straight lines away from the border. */
  for (int i = 3; i < 5; i++) {
    float want = (i + 0.5f) / 2.f - 0.5f + 1.f;
    CHECK (fabsf (up[i] - want) < 1e-5f, "up[%d] = %f, want %f", i, up[i],
        want);
  }

  /* Shrink by 2 of a 16-sample ramp: antialiased kernel is symmetric and
   * sums to one, so interior samples land on the ramp at u = 2x - 0.5. */
  float ramp[16], half[8];
  for (int i = 0; i < 16; i++)
    ramp[i] = (float) i;
  CHECK (gcn_imresize_bicubic (ramp, 16, 1, 16, half, 8, 1, 8) == 0, "down");
  for (int i = 2; i < 6; i++)
    CHECK (fabsf (half[i] - (2.f * i + 0.5f)) < 1e-4f, "half[%d] = %f", i,
        half[i]);
  /* The antialiasing kernel is 8 taps wide: the first output (u = 0.5,
   * 0-based) reads mirrored samples 2 1 0 | 0 1 2 3 4 with weights
   * cubic (d / 2) / 2: (-0.046875 - 0.0703125 + 0.8671875 + 0.453125
   * - 0.2109375 - 0.09375) / 2 = 0.44921875. */
  CHECK (fabsf (half[0] - 0.44921875f) < 1e-5f, "half[0] = %f", half[0]);

  /* A constant image stays constant in 2-D, any ratio. */
  float flat[7 * 5], out[11 * 3];
  for (int i = 0; i < 35; i++)
    flat[i] = 0.25f;
  CHECK (gcn_imresize_bicubic (flat, 7, 5, 7, out, 11, 3, 11) == 0, "2d");
  for (int i = 0; i < 33; i++)
    CHECK (fabsf (out[i] - 0.25f) < 1e-6f, "flat[%d] = %f", i, out[i]);

  /* Shrinking a checkerboard by 2 averages it out: point sampling would
   * give 100 or 200; the mirrored border leaves a few levels of ripple. */
  uint8_t board[8 * 8], small[4 * 4];
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 8; x++)
      board[y * 8 + x] = ((x + y) & 1) ? 200 : 100;
  CHECK (gcn_imresize_bicubic_u8 (board, 8, 8, 8, small, 4, 4, 4, 1) == 0,
      "u8");
  for (int i = 0; i < 16; i++)
    CHECK (abs (small[i] - 150) <= 5, "board[%d] = %d", i, small[i]);

  /* Interleaved RGB: channels resized independently. */
  uint8_t rgb[2 * 2 * 3] = { 10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30 };
  uint8_t rgb2[4 * 4 * 3];
  CHECK (gcn_imresize_bicubic_u8 (rgb, 2, 2, 6, rgb2, 4, 4, 12, 3) == 0,
      "rgb");
  for (int i = 0; i < 48; i++)
    CHECK (rgb2[i] == (i % 3 + 1) * 10, "rgb[%d] = %d", i, rgb2[i]);

  /* Bad sizes are refused, not crashed on. */
  CHECK (gcn_imresize_bicubic (row, 0, 1, 4, up, 8, 1, 8) < 0, "w = 0");
  CHECK (gcn_imresize_bicubic (row, 4, 1, 2, up, 8, 1, 8) < 0, "stride");
  CHECK (gcn_imresize_bicubic (NULL, 4, 1, 4, up, 8, 1, 8) < 0, "NULL");

  /* Bilinear: exact at a 2x upscale of a ramp away from the clamp. */
  float bl[8];
  gcn_resize_bilinear (row, 4, 1, 4, bl, 8, 1, 8);
  CHECK (fabsf (bl[0] - 1.f) < 1e-6f && fabsf (bl[3] - 2.25f) < 1e-6f
      && fabsf (bl[7] - 4.f) < 1e-6f, "bilinear %f %f %f", bl[0], bl[3],
      bl[7]);

  if (failures)
    fprintf (stderr, "%d failures\n", failures);
  return failures ? 1 : 0;
}
