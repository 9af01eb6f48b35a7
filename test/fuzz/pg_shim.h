/*
 * pg_shim.h — what the fuzz harness needs of test/fuzz/pg_shim.c, the
 * backend stand-ins that let src/model.c run outside the server.
 */
#ifndef BPNN_PG_SHIM_H
#define BPNN_PG_SHIM_H

#include <setjmp.h>

/* the last ereport(ERROR): its SQLSTATE and texts */
typedef struct ShimError
{
	int			sqlstate;
	char		message[256];
	char		detail[512];
	char		hint[256];
	char		where[256];
} ShimError;

/* where an ERROR jumps to; NULL: an ERROR aborts (it was not expected) */
extern sigjmp_buf *shim_error_jump;
extern ShimError shim_last_error;

/* free every palloc'd chunk, as a memory context reset does */
extern void shim_free_all(void);

#endif							/* BPNN_PG_SHIM_H */
