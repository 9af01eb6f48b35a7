/*
 * gradient_aggregate.h — what the aggregates share: their memory context, a
 * row of training features read from a float8[], and the check of a
 * bpnn_feature_stats result.  (Labels: labels.h.)
 */
#ifndef BPNN_GRADIENT_AGGREGATE_H
#define BPNN_GRADIENT_AGGREGATE_H

#include "fmgr.h"
#include "utils/array.h"

/*
 * The aggregate's memory context, or an error naming the aggregate when a
 * support function is called outside one (directly, say).
 */
extern MemoryContext aggregate_context(FunctionCallInfo fcinfo, const char *name);

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

#endif							/* BPNN_GRADIENT_AGGREGATE_H */
