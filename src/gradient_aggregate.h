/*
 * aggregate.h — what the aggregates share: their memory context, a row of
 * training features read from a float8[].  (Labels: labels.h.)
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
