/* Loss-curve plot: one coloured, smoothed polyline per loss on a grid, with
 * axis labels and a legend, written as PNG. */
#ifndef GT_PLOT_H
#define GT_PLOT_H

/* values: n_points rows of n_series losses, steps: n_points step numbers.
 * Non-finite values are skipped. Returns 0 or -1. */
int gt_plot_losses (const char *path, int n_series, const char *const *names,
    const long *steps, const float *values, int n_points);

#endif
