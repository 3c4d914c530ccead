/* gc_sgemm (OpenBLAS split over the pool) against gc_sgemm_ref (plain
 * loops): every transpose combination, odd sizes that reach SIMD tails and
 * uneven thread chunks, leading dimensions wider than the matrix, alpha and
 * beta, with 1 and 2 threads. */
#include "gc_layers.h"
#include "gc_threads.h"
#include "gradcheck.h"

static void
check_case (int ta, int tb, int M, int N, int K, float alpha, float beta,
    int threads)
{
  /* pad leading dimensions so a kernel that assumes ld == width fails */
  int rows_a = ta ? K : M, cols_a = ta ? M : K;
  int rows_b = tb ? N : K, cols_b = tb ? K : N;
  int lda = cols_a + 3, ldb = cols_b + 5, ldc = N + 2;
  float *A = malloc (sizeof (float) * rows_a * lda);
  float *B = malloc (sizeof (float) * rows_b * ldb);
  float *C = malloc (sizeof (float) * M * ldc);
  float *R = malloc (sizeof (float) * M * ldc);
  gradcheck_fill (A, (size_t) rows_a * lda, M + 7 * K, -1, 1);
  gradcheck_fill (B, (size_t) rows_b * ldb, N + 3 * K, -1, 1);
  gradcheck_fill (C, (size_t) M * ldc, M * N, -1, 1);
  memcpy (R, C, sizeof (float) * M * ldc);

  gc_set_thread_limit (threads);
  gc_sgemm (ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  gc_sgemm_ref (ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
  gc_set_thread_limit (0);

  char what[128];
  snprintf (what, sizeof what, "sgemm ta=%d tb=%d %dx%dx%d a=%g b=%g t=%d",
      ta, tb, M, N, K, alpha, beta, threads);
  /* sums of K products of values in [-1, 1]: absolute error grows ~ sqrt K */
  gradcheck_compare (what, C, R, (size_t) M * ldc, 1e-4, 1e-5 * K);
  free (A);
  free (B);
  free (C);
  free (R);
}

/* beta = 0 means C is output only: NaN already in C must not leak. */
static void
check_beta_zero_ignores_c (int threads)
{
  const int M = 67, N = 129, K = 40;
  float *A = malloc (sizeof (float) * M * K);
  float *B = malloc (sizeof (float) * K * N);
  float *C = malloc (sizeof (float) * M * N);
  gradcheck_fill (A, (size_t) M * K, 1, -1, 1);
  gradcheck_fill (B, (size_t) K * N, 2, -1, 1);
  for (int i = 0; i < M * N; i++)
    C[i] = NAN;
  gc_set_thread_limit (threads);
  gc_sgemm (0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
  gc_set_thread_limit (0);
  int nans = 0;
  for (int i = 0; i < M * N; i++)
    nans += isnan (C[i]) != 0;
  CHECK (nans == 0, "sgemm beta=0 kept %d NaN from C (threads %d)", nans,
      threads);
  free (A);
  free (B);
  free (C);
}

int
main (void)
{
  static const int sizes[][3] = {
    { 1, 1, 1 }, { 1, 13, 7 }, { 13, 1, 7 }, { 7, 13, 1 }, { 5, 7, 9 },
    { 33, 17, 65 }, { 17, 257, 31 }, { 257, 19, 33 }, { 100, 130, 70 },
    { 64, 1024, 288 },        /* a conv-like shape that does get split */
    { 515, 37, 129 },         /* row split with a ragged last chunk */
  };
  for (int t = 1; t <= 2; t++)
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
      for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
          check_case (ta, tb, sizes[s][0], sizes[s][1], sizes[s][2],
              s % 2 ? 0.5f : 1.0f, s % 3 ? 0.0f : 0.75f, t);
  check_case (0, 1, 200, 300, 50, -1.0f, 1.0f, 2);
  check_beta_zero_ignores_c (1);
  check_beta_zero_ignores_c (2);
  return gan_test_report ("test-gemm");
}
