/*
 * gradient_aggregate.h — what every aggregate of bpnn takes from
 * gradient_aggregate.c: its memory context.  (Labels: labels.h; a row of
 * training features read from a float8[]: feature_stats.h.)
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

#endif							/* BPNN_GRADIENT_AGGREGATE_H */
