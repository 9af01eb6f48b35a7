/*
 * aggregate.h — what the aggregates share: a row of training features read
 * from a float8[].  (Labels: labels.h.)
 */
#ifndef BPNN_AGGREGATE_H
#define BPNN_AGGREGATE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

/*
 * The values of one training row given as a float8[]: a palloc'd copy, NaN
 * where an element is NULL (*has_null is set), *n of them.  Errors on
 * arrays that are not one-dimensional, empty or too wide, and on NaN,
 * infinite or beyond-float4 values.
 */
extern double *training_row_values(ArrayType *features, int *n, bool *has_null);

#endif							/* BPNN_AGGREGATE_H */
