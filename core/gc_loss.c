/* libgancore — reconstruction losses (means over all elements). */
#include "gc_train.h"

#include <math.h>

float
gc_loss_l1 (const float *pred, const float *target, size_t n, float *grad)
{
  if (!pred || !target || n == 0)
    return 0.0f;
  double sum = 0.0;
  float inv = 1.0f / (float) n;
  for (size_t i = 0; i < n; i++) {
    float d = pred[i] - target[i];
    sum += fabsf (d);
    if (grad)
      grad[i] = d > 0.0f ? inv : d < 0.0f ? -inv : 0.0f;
  }
  return (float) (sum / (double) n);
}

float
gc_loss_l2 (const float *pred, const float *target, size_t n, float *grad)
{
  if (!pred || !target || n == 0)
    return 0.0f;
  double sum = 0.0;
  float k = 2.0f / (float) n;
  for (size_t i = 0; i < n; i++) {
    float d = pred[i] - target[i];
    sum += (double) d * d;
    if (grad)
      grad[i] = k * d;
  }
  return (float) (sum / (double) n);
}
