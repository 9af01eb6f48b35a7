/*
 * aggregate.h — what the aggregates share with the other SQL entry points:
 * a label value as the class name training gave it.
 */
#ifndef BPNN_AGGREGATE_H
#define BPNN_AGGREGATE_H

#include "postgres.h"

#include "fmgr.h"

/* the type of argument argno and its output function (in cxt) */
extern void label_output_init(FunctionCallInfo fcinfo, int argno, Oid *type,
							  FmgrInfo *out, MemoryContext cxt);

/* a label as training names classes: label::text */
extern char *label_as_text(Datum label, Oid type, FmgrInfo *out);

#endif							/* BPNN_AGGREGATE_H */
