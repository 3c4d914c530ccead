/* libgancore — single-precision GEMM on OpenBLAS, split across our pool.
 *
 * OpenBLAS is pinned to one thread so two elements in one process do not
 * each start their own BLAS threads; parallelism comes from gc_parallel_for,
 * which serialises jobs and runs nested calls inline. */
#include "gc_layers.h"
#include "gc_threads.h"

#include <cblas.h>
#include <pthread.h>

/* Below this many multiply-adds a split costs more than it saves. */
#define GEMM_SPLIT_MIN_MACS (1L << 18)
/* Split boundaries fall on multiples of this many rows/columns so every
 * chunk but the last keeps full SIMD panels. */
#define GEMM_SPLIT_ALIGN 16

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void
blas_single_thread (void)
{
  openblas_set_num_threads (1);
}

typedef struct {
  int trans_a, trans_b, M, N, K;
  float alpha, beta;
  const float *A, *B;
  float *C;
  int lda, ldb, ldc;
  int split_rows;           /* 1: chunks are rows of C, 0: columns */
} gemm_job;

static void
gemm_blas (int trans_a, int trans_b, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta, float *C,
    int ldc)
{
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
      trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
      beta, C, ldc);
}

static void
gemm_chunk (void *ctx, int begin, int end, int worker)
{
  const gemm_job *j = ctx;
  int lo = begin * GEMM_SPLIT_ALIGN;
  int hi = end * GEMM_SPLIT_ALIGN;

  if (j->split_rows) {
    if (hi > j->M)
      hi = j->M;
    if (lo >= hi)
      return;
    /* rows of op(A): row i starts at A + i*lda, or at column i if A^T */
    const float *a = j->trans_a ? j->A + lo : j->A + (size_t) lo * j->lda;
    gemm_blas (j->trans_a, j->trans_b, hi - lo, j->N, j->K, j->alpha, a,
        j->lda, j->B, j->ldb, j->beta, j->C + (size_t) lo * j->ldc, j->ldc);
  } else {
    if (hi > j->N)
      hi = j->N;
    if (lo >= hi)
      return;
    /* columns of op(B): column j starts at B + j, or at row j if B^T */
    const float *b = j->trans_b ? j->B + (size_t) lo * j->ldb : j->B + lo;
    gemm_blas (j->trans_a, j->trans_b, j->M, hi - lo, j->K, j->alpha, j->A,
        j->lda, b, j->ldb, j->beta, j->C + lo, j->ldc);
  }
}

void
gc_sgemm (int trans_a, int trans_b, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta, float *C,
    int ldc)
{
  if (M <= 0 || N <= 0)
    return;
  pthread_once (&blas_once, blas_single_thread);

  if (K <= 0) {
    /* OpenBLAS handles K = 0 as C = beta C, but be explicit about it */
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++)
        C[(size_t) i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t) i * ldc + j];
    return;
  }

  int threads = gc_current_threads ();
  long macs = (long) M * N * K;
  int split_rows = M >= N;
  int extent = split_rows ? M : N;
  int blocks = (extent + GEMM_SPLIT_ALIGN - 1) / GEMM_SPLIT_ALIGN;

  if (threads <= 1 || macs < GEMM_SPLIT_MIN_MACS || blocks < 2) {
    gemm_blas (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C,
        ldc);
    return;
  }

  gemm_job job = { trans_a, trans_b, M, N, K, alpha, beta, A, B, C,
    lda, ldb, ldc, split_rows };
  gc_parallel_for (threads, blocks, gemm_chunk, &job);
}

void
gc_sgemm_ref (int trans_a, int trans_b, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta, float *C,
    int ldc)
{
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) {
      double acc = 0.0;
      for (int k = 0; k < K; k++) {
        float a = trans_a ? A[(size_t) k * lda + i] : A[(size_t) i * lda + k];
        float b = trans_b ? B[(size_t) j * ldb + k] : B[(size_t) k * ldb + j];
        acc += (double) a * b;
      }
      float *c = &C[(size_t) i * ldc + j];
      /* beta = 0 must ignore C, which may hold NaN */
      *c = (float) (alpha * acc) + (beta == 0.0f ? 0.0f : beta * *c);
    }
  }
}
