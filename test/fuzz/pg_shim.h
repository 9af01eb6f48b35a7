/*
 * pg_shim.h — what the fuzz harnesses need of test/fuzz/pg_shim.c and
 * jsonb_shim.c, the backend stand-ins that let src/model.c, src/model_json.c
 * and src/gradient_state.c run outside the server.
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

/* a SQLSTATE as its five characters; out has room for six */
extern const char *shim_sqlstate_text(int sqlstate, char *out);

/*
 * Run fn(arg) as a statement: true if it returned, false if it raised an
 * ERROR whose SQLSTATE is one of the n in allowed (shim_last_error holds
 * it).  Any other SQLSTATE (an internal error, an oversized palloc) is a
 * finding: it aborts, naming the error and what was being done.
 */
extern bool shim_try(void (*fn) (void *arg), void *arg, const int *allowed, int n,
					 const char *what);

/* a broken promise about an accepted input: print it and abort */
extern void shim_fail(const char *harness, const char *what, size_t len) pg_attribute_noreturn();

/* FUZZ_VERBOSE set: each input's outcome goes to stderr */
extern bool shim_verbose(void);

#endif							/* BPNN_PG_SHIM_H */
