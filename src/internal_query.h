/*
 * internal_query.h — SQL that bpnn runs itself, checked to call only
 * pg_catalog's and the extension's own functions (see internal_query.c).
 * Both functions are called between SPI_connect and SPI_finish.
 */
#ifndef BPNN_INTERNAL_QUERY_H
#define BPNN_INTERNAL_QUERY_H

#include "executor/spi.h"

/* prepare sql with parameters of exactly argtypes */
extern SPIPlanPtr internal_query_prepare(const char *sql, int nargs, Oid *argtypes);

/*
 * Run a prepared SELECT read-only (results in SPI_tuptable), after checking
 * that every function it names is pg_catalog's or the extension's: an
 * error otherwise, before anything of the query runs.
 */
extern void internal_query_run(SPIPlanPtr plan, Datum *values);

/*
 * Run a prepared SELECT of one row and one varlena column (as
 * internal_query_run) and return its value detoasted and copied into cxt,
 * or NULL if it is NULL.  what names the query in the error if it returns
 * another number of rows, which cannot happen.
 */
extern struct varlena *internal_query_value(SPIPlanPtr plan, Datum *values, const char *what,
											MemoryContext cxt);

#endif							/* BPNN_INTERNAL_QUERY_H */
