/*
 * pg_shim.c — the few backend services src/model.c and src/model_json.c
 * call, for running them outside the server (test/fuzz/fuzz_model.c).
 *
 * Everything else they use comes from PostgreSQL itself: libpgcommon
 * (hash_bytes_extended, StringInfo, psprintf, the encoding verifier, the
 * shortest float formatting) and libpgport, as shipped by
 * postgresql-server-dev-15.  What is here stands in for the backend:
 *
 *   - palloc and friends: one malloc per chunk, every chunk on a list that
 *     shim_free_all() empties after each input (as a memory context reset
 *     does after an error), so AddressSanitizer sees each chunk's bounds;
 *     a request above MaxAllocSize is an internal error, as in mcxt.c
 *   - ereport: errstart/errfinish record the SQLSTATE and message; an
 *     ERROR longjmps to shim_error_jump, which the harness has set
 *   - pg_verifymbstr: the server encoding is UTF8
 *   - pq_sendbytes, pq_sendfloat4/8, escape_json: the same few lines as in
 *     the backend (pqformat.c, json.c)
 *   - the JSON reader's backend calls (jsonb_in, numeric): not reachable
 *     from the harness, they abort if called
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "pg_shim.h"

sigjmp_buf *shim_error_jump = NULL;
ShimError	shim_last_error;

MemoryContext CurrentMemoryContext = NULL;

static void
shim_abort(const char *what)
{
	fprintf(stderr, "pg_shim: %s called outside the server\n", what);
	abort();
}

/* ---------- memory: every chunk on one list, freed after each input ---------- */

typedef struct Chunk
{
	struct Chunk *prev;
	struct Chunk *next;
	max_align_t align[];		/* the caller's bytes follow, maximally aligned */
} Chunk;

static Chunk *chunks = NULL;

static void
chunk_link(Chunk *c)
{
	c->prev = NULL;
	c->next = chunks;
	if (chunks)
		chunks->prev = c;
	chunks = c;
}

static void
chunk_unlink(Chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		chunks = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void
check_size(Size size)
{
	if (!AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
}

void *
palloc(Size size)
{
	Chunk	   *c;

	check_size(size);
	c = malloc(sizeof(Chunk) + size);
	if (c == NULL)
		shim_abort("palloc (out of memory)");
	chunk_link(c);
	return c->align;
}

void *
palloc0(Size size)
{
	void	   *p = palloc(size);

	memset(p, 0, size);
	return p;
}

void
pfree(void *pointer)
{
	Chunk	   *c = (Chunk *) ((char *) pointer - offsetof(Chunk, align));

	chunk_unlink(c);
	free(c);
}

void *
repalloc(void *pointer, Size size)
{
	Chunk	   *c = (Chunk *) ((char *) pointer - offsetof(Chunk, align));
	Chunk	   *n;

	check_size(size);
	chunk_unlink(c);
	n = realloc(c, sizeof(Chunk) + size);
	if (n == NULL)
		shim_abort("repalloc (out of memory)");
	chunk_link(n);
	return n->align;
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return palloc(size);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return palloc0(size);
}

char *
pstrdup(const char *in)
{
	return pnstrdup(in, strlen(in));
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

void
shim_free_all(void)
{
	while (chunks)
	{
		Chunk	   *c = chunks;

		chunks = c->next;
		free(c);
	}
}

/* the per-query cache (model_from_arg) is not exercised outside the server */
MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize,
							  Size maxBlockSize)
{
	shim_abort("AllocSetContextCreate");
	return NULL;
}

void
MemoryContextDelete(MemoryContext context)
{
	shim_abort("MemoryContextDelete");
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	shim_abort("pg_detoast_datum");
	return NULL;
}

/* model_from_arg's question whether its argument is stable (not fuzzed) */
fmAggrefPtr
AggGetAggref(FunctionCallInfo fcinfo)
{
	shim_abort("AggGetAggref");
	return NULL;
}

bool
get_fn_expr_arg_stable(FmgrInfo *flinfo, int argnum)
{
	shim_abort("get_fn_expr_arg_stable");
	return false;
}

/* ---------- ereport ---------- */

static int	current_elevel;

bool
errstart(int elevel, const char *domain)
{
	if (elevel < ERROR)
		return false;			/* NOTICEs and WARNINGs go nowhere */
	current_elevel = elevel;
	memset(&shim_last_error, 0, sizeof(shim_last_error));
	shim_last_error.sqlstate = ERRCODE_INTERNAL_ERROR;	/* as elog's default */
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	shim_last_error.sqlstate = sqlerrcode;
	return 0;
}

#define FORMAT_INTO(field, fmt) \
	do { \
		va_list		args; \
		va_start(args, fmt); \
		vsnprintf(shim_last_error.field, sizeof(shim_last_error.field), fmt, args); \
		va_end(args); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(message, fmt);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(message, fmt);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	FORMAT_INTO(detail, fmt);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	FORMAT_INTO(detail, fmt);
	return 0;
}

int
errhint(const char *fmt,...)
{
	FORMAT_INTO(hint, fmt);
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	snprintf(shim_last_error.where, sizeof(shim_last_error.where), "%s:%d %s",
			 filename, lineno, funcname);
	if (shim_error_jump == NULL)
	{
		fprintf(stderr, "pg_shim: ERROR with no handler at %s: %s (%s)\n",
				shim_last_error.where, shim_last_error.message, shim_last_error.detail);
		abort();
	}
	siglongjmp(*shim_error_jump, 1);
}

/* ---------- encoding: the server's is UTF8 ---------- */

bool
pg_verifymbstr(const char *mbstr, int len, bool noError)
{
	if (pg_encoding_verifymbstr(PG_UTF8, mbstr, len) == len)
		return true;
	if (!noError)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("invalid byte sequence for encoding \"UTF8\"")));
	return false;
}

/* ---------- as in libpq/pqformat.c ---------- */

void
pq_sendbytes(StringInfo buf, const char *data, int datalen)
{
	appendBinaryStringInfo(buf, data, datalen);
}

void
pq_sendfloat4(StringInfo msg, float4 f)
{
	union
	{
		float4		f;
		uint32		i;
	}			swap;

	swap.f = f;
	pq_sendint32(msg, swap.i);
}

void
pq_sendfloat8(StringInfo msg, float8 f)
{
	union
	{
		float8		f;
		int64		i;
	}			swap;

	swap.f = f;
	pq_sendint64(msg, swap.i);
}

void
pq_begintypsend(StringInfo buf)
{
	shim_abort("pq_begintypsend");
}

bytea *
pq_endtypsend(StringInfo buf)
{
	shim_abort("pq_endtypsend");
	return NULL;
}

/* ---------- as in utils/adt/json.c ---------- */

void
escape_json(StringInfo buf, const char *str)
{
	const char *p;

	appendStringInfoCharMacro(buf, '"');
	for (p = str; *p; p++)
	{
		switch (*p)
		{
			case '\b':
				appendStringInfoString(buf, "\\b");
				break;
			case '\f':
				appendStringInfoString(buf, "\\f");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			default:
				if ((unsigned char) *p < ' ')
					appendStringInfo(buf, "\\u%04x", (int) *p);
				else
					appendStringInfoCharMacro(buf, *p);
				break;
		}
	}
	appendStringInfoCharMacro(buf, '"');
}

/* ---------- the JSON reader's backend (jsonb, numeric): not linked ---------- */

Datum
jsonb_in(PG_FUNCTION_ARGS)
{
	shim_abort("jsonb_in");
	return (Datum) 0;
}

JsonbValue *
getKeyJsonValueFromContainer(JsonbContainer *container, const char *keyVal,
							 int keyLen, JsonbValue *res)
{
	shim_abort("getKeyJsonValueFromContainer");
	return NULL;
}

JsonbValue *
getIthJsonbValueFromContainer(JsonbContainer *sheader, uint32 i)
{
	shim_abort("getIthJsonbValueFromContainer");
	return NULL;
}

Datum
numeric_float4(PG_FUNCTION_ARGS)
{
	shim_abort("numeric_float4");
	return (Datum) 0;
}

Datum
numeric_float8(PG_FUNCTION_ARGS)
{
	shim_abort("numeric_float8");
	return (Datum) 0;
}

Datum
numeric_out(PG_FUNCTION_ARGS)
{
	shim_abort("numeric_out");
	return (Datum) 0;
}

Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	shim_abort("DirectFunctionCall1Coll");
	return (Datum) 0;
}
