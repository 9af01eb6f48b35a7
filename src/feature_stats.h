/*
 * feature_stats.h — bpnn_feature_stats's result and a training row read
 * from a float8[] (see feature_stats.c).
 */
#ifndef BPNN_FEATURE_STATS_H
#define BPNN_FEATURE_STATS_H

#include "utils/array.h"

/*
 * The values of one training row given as a float8[]: a palloc'd copy, NaN
 * where an element is NULL (*has_null is set), *n of them.  Errors on
 * arrays that are not one-dimensional, empty or too wide, and on NaN,
 * infinite or beyond-float4 values.
 */
extern double *training_row_values(ArrayType *features, int *n, bool *has_null);

/*
 * The number of features of a bpnn_feature_stats state or result, after
 * checking its shape and every count in it (an error if anything is off).
 */
extern int	feature_stats_check(ArrayType *stats);

#endif							/* BPNN_FEATURE_STATS_H */
