/*
 * nn_normalize.h — per-feature statistics and the input scalers of bpnn.
 *
 * Every scaler is affine, x' = (x - shift) * scale, so a model stores two
 * numbers per feature and applies them again at predict time.  The
 * statistics are combinable (count, min, max, mean, M2 as in Welford /
 * Chan et al.), so a later aggregate can merge partial results.
 * Plain C, no PostgreSQL headers.
 */
#ifndef BPNN_NN_NORMALIZE_H
#define BPNN_NN_NORMALIZE_H

#include <stdint.h>

/* values are stored in models: never renumber */
typedef enum NormMethod
{
	NORM_NONE = 0,
	NORM_DECIMAL = 1,			/* Jiang 2020: x * 10^n into [0, 10] */
	NORM_MINMAX = 2,			/* (x - min) / (max - min) * 10, into [0, 10] */
	NORM_ZSCORE = 3				/* (x - mean) / standard deviation */
} NormMethod;

#define NORM_METHOD_COUNT 4

typedef struct FeatureStats
{
	double		count;
	double		min;
	double		max;
	double		mean;
	double		m2;				/* sum of squared deviations from the mean */
} FeatureStats;

extern const char *norm_method_name(NormMethod method);
extern int	norm_method_from_name(const char *name);	/* -1 if unknown */

extern void feature_stats_init(FeatureStats *stats, int n);
/* add one row; NaN marks a missing value and is not counted */
extern void feature_stats_add(FeatureStats *stats, const double *row, int n);
extern void feature_stats_combine(FeatureStats *into, const FeatureStats *from,
								  int n);

/* fill shift[] and scale[] of n features from their statistics */
extern void norm_fit(NormMethod method, const FeatureStats *stats, int n,
					 double *shift, double *scale);

/* the power of ten that takes max |x| into (1, 10] (1 when all are 0) */
extern double norm_decimal_scale(double max_abs);

#endif							/* BPNN_NN_NORMALIZE_H */
