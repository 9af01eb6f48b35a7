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
 *     a request above MaxAllocSize (MaxAllocHugeSize for the huge ones) is
 *     an internal error, as in mcxt.c
 *   - ereport: errstart/errfinish record the SQLSTATE and message; an
 *     ERROR longjmps to shim_error_jump, which the harness has set
 *   - pg_verifymbstr, pg_server_to_any: the server encoding is UTF8
 *   - pq_sendbytes, pq_sendfloat4/8, pq_begintypsend/endtypsend, the
 *     pq_getmsg* readers, escape_json, hex_encode/hex_decode: the same few
 *     lines as in the backend (pqformat.c, json.c, encode.c)
 *   - CHECK_FOR_INTERRUPTS: no interrupt is ever pending
 *   - pg_detoast_datum(_packed): values here are never toasted (plain
 *     4-byte headers)
 *   - DirectFunctionCall1Coll: as in fmgr.c
 * The JSON reader's backend (jsonb_in, numeric) is jsonb_shim.c.
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

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

/* a chunk of any size the caller checked */
static void *
chunk_alloc(Size size)
{
	Chunk	   *c = malloc(sizeof(Chunk) + size);

	if (c == NULL)
		shim_abort("palloc (out of memory)");
	chunk_link(c);
	return c->align;
}

void *
palloc(Size size)
{
	check_size(size);
	return chunk_alloc(size);
}

/* a "huge" request: beyond MaxAllocSize, up to MaxAllocHugeSize, as in mcxt.c */
void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	if (!AllocHugeSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	return chunk_alloc(size);
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

/* a chunk resized to a size the caller checked */
static void *
chunk_realloc(void *pointer, Size size)
{
	Chunk	   *c = (Chunk *) ((char *) pointer - offsetof(Chunk, align));
	Chunk	   *n;

	chunk_unlink(c);
	n = realloc(c, sizeof(Chunk) + size);
	if (n == NULL)
		shim_abort("repalloc (out of memory)");
	chunk_link(n);
	return n->align;
}

void *
repalloc(void *pointer, Size size)
{
	check_size(size);
	return chunk_realloc(pointer, size);
}

void *
repalloc_huge(void *pointer, Size size)
{
	if (!AllocHugeSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	return chunk_realloc(pointer, size);
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

/* values built here are plain: detoasting one is the identity */
struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	if (VARATT_IS_EXTENDED(datum))
		shim_abort("pg_detoast_datum (of a toasted or short-header value)");
	return datum;
}

struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	return pg_detoast_datum(datum);
}

/* ---------- interrupts: none is ever pending ---------- */

volatile sig_atomic_t InterruptPending = false;

void
ProcessInterrupts(void)
{
}

/* ---------- as in utils/fmgr/fmgr.c ---------- */

Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 1, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	result = (*func) (fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function %p returned NULL", (void *) func);
	return result;
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

/* bpnn_state_gradient's result array (an SQL function, not fuzzed) */
ArrayType *
construct_array(Datum *elems, int nelems, Oid elmtype, int elmlen, bool elmbyval,
				char elmalign)
{
	shim_abort("construct_array");
	return NULL;
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

/* from the server's encoding (UTF8) to UTF8: as mbutils.c, no conversion */
char *
pg_server_to_any(const char *s, int len, int encoding)
{
	Assert(encoding == PG_UTF8);
	return (char *) s;
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
	initStringInfo(buf);
	/* reserve four bytes for the varlena length word */
	appendStringInfoCharMacro(buf, '\0');
	appendStringInfoCharMacro(buf, '\0');
	appendStringInfoCharMacro(buf, '\0');
	appendStringInfoCharMacro(buf, '\0');
}

bytea *
pq_endtypsend(StringInfo buf)
{
	bytea	   *result = (bytea *) buf->data;

	SET_VARSIZE(result, buf->len);
	return result;
}

void
pq_copymsgbytes(StringInfo msg, char *buf, int datalen)
{
	if (datalen < 0 || datalen > (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("insufficient data left in message")));
	memcpy(buf, &msg->data[msg->cursor], datalen);
	msg->cursor += datalen;
}

unsigned int
pq_getmsgint(StringInfo msg, int b)
{
	unsigned int result;
	unsigned char n8;
	uint16		n16;
	uint32		n32;

	switch (b)
	{
		case 1:
			pq_copymsgbytes(msg, (char *) &n8, 1);
			result = n8;
			break;
		case 2:
			pq_copymsgbytes(msg, (char *) &n16, 2);
			result = pg_ntoh16(n16);
			break;
		case 4:
			pq_copymsgbytes(msg, (char *) &n32, 4);
			result = pg_ntoh32(n32);
			break;
		default:
			elog(ERROR, "unsupported integer size %d", b);
			result = 0;
			break;
	}
	return result;
}

int64
pq_getmsgint64(StringInfo msg)
{
	uint64		n64;

	pq_copymsgbytes(msg, (char *) &n64, sizeof(n64));
	return pg_ntoh64(n64);
}

float8
pq_getmsgfloat8(StringInfo msg)
{
	union
	{
		float8		f;
		int64		i;
	}			swap;

	swap.i = pq_getmsgint64(msg);
	return swap.f;
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

/* ---------- as in utils/adt/encode.c ---------- */

static const char hextbl[] = "0123456789abcdef";

static const int8 hexlookup[128] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

uint64
hex_encode(const char *src, size_t len, char *dst)
{
	const char *end = src + len;

	while (src < end)
	{
		*dst++ = hextbl[(*src >> 4) & 0xF];
		*dst++ = hextbl[*src & 0xF];
		src++;
	}
	return (uint64) len * 2;
}

static inline char
get_hex(const char *cp)
{
	unsigned char c = (unsigned char) *cp;
	int			res = -1;

	if (c < 127)
		res = hexlookup[c];
	if (res < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid hexadecimal digit: \"%.*s\"",
						1, cp)));
	return (char) res;
}

uint64
hex_decode(const char *src, size_t len, char *dst)
{
	const char *s,
			   *srcend;
	char		v1,
				v2,
			   *p;

	srcend = src + len;
	s = src;
	p = dst;
	while (s < srcend)
	{
		if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		{
			s++;
			continue;
		}
		v1 = get_hex(s) << 4;
		s++;
		if (s >= srcend)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid hexadecimal data: odd number of digits")));
		v2 = get_hex(s);
		s++;
		*p++ = v1 | v2;
	}
	return p - dst;
}

/* the SQLSTATE code as its five characters (elog.c's unpack_sql_state) */
const char *
shim_sqlstate_text(int sqlstate, char *out)
{
	int			i;

	for (i = 0; i < 5; i++)
	{
		out[i] = PGUNSIXBIT(sqlstate);
		sqlstate >>= 6;
	}
	out[5] = '\0';
	return out;
}

bool
shim_try(void (*fn) (void *arg), void *arg, const int *allowed, int n, const char *what)
{
	sigjmp_buf	jump;
	int			i;

	if (sigsetjmp(jump, 0) != 0)
	{
		char		got[6];

		shim_error_jump = NULL;
		if (shim_verbose())
			fprintf(stderr, "%s: rejected: %s: %s %s\n", what, shim_last_error.message,
					shim_last_error.detail, shim_last_error.hint);
		for (i = 0; i < n; i++)
			if (shim_last_error.sqlstate == allowed[i])
				return false;
		fprintf(stderr, "%s: ERROR with SQLSTATE %s at %s: %s (%s)\n", what,
				shim_sqlstate_text(shim_last_error.sqlstate, got),
				shim_last_error.where, shim_last_error.message, shim_last_error.detail);
		abort();
	}
	shim_error_jump = &jump;
	fn(arg);
	shim_error_jump = NULL;		/* from here on an ERROR is a finding */
	return true;
}

void
shim_fail(const char *harness, const char *what, size_t len)
{
	fprintf(stderr, "%s: %s (input of %zu bytes)\n", harness, what, len);
	abort();
}

bool
shim_verbose(void)
{
	return getenv("FUZZ_VERBOSE") != NULL;
}
