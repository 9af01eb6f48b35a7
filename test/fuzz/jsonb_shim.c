/*
 * jsonb_shim.c — the server's jsonb and numeric, as far as src/model_json.c
 * reads them, for running the model's JSON reader outside the server
 * (test/fuzz/fuzz_json.c).
 *
 * The syntax is PostgreSQL's own: jsonb_in here parses with pg_parse_json
 * of src/common/jsonapi.c, which libpgcommon ships (its lexer, its escapes,
 * its errors; not json_errdetail, so the detail here is the error's code).  What the server's jsonb code (jsonb.c, jsonb_util.c) and
 * numeric.c would add is not shipped outside the server, so it is
 * emulated, following those files:
 *   - the tree: each object or array is a container whose header word has
 *     the layout jsonb.h's macros read (JsonContainerIsObject, ...Size);
 *     a key that appears twice keeps its last value, as jsonb does;
 *   - numbers: numeric_in's checks (an exponent beyond INT_MAX / 2, a
 *     weight or scale beyond the numeric format: "value overflows numeric
 *     format"), numeric_out's text (the digits with numeric's display
 *     scale), and numeric_float8 / numeric_float4 as float8in / float4in of
 *     that text, out-of-range errors included;
 *   - check_stack_depth: nesting deeper than SHIM_MAX_DEPTH is the server's
 *     "stack depth limit exceeded" (its own depth depends on max_stack_depth).
 *   - JsonbToCString of a whole document: the text it was read from, where
 *     the server writes the document anew (keys sorted, spaces its own).
 * Errors carry the server's SQLSTATEs: 22P02 for bad syntax, 22P05 for
 * \u0000, 22003 for numbers out of range, 54001 for depth.
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "common/jsonapi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "pg_shim.h"

#define SHIM_MAX_DEPTH 1000

/* numeric.h's limits of the stored format */
#define SHIM_NUMERIC_WEIGHT_MAX PG_INT16_MAX	/* in base-10000 digits */
#define SHIM_NUMERIC_DSCALE_MAX 0x3FFF

/*
 * What a JsonbContainer pointer points at: the header word jsonb.h's macros
 * read, then the container it stands for (unaligned: a Jsonb's root starts
 * 4 bytes into it, as in the server's layout).
 */
typedef struct ShimBox
{
	uint32		header;
	char		container[sizeof(void *)];
} ShimBox;

typedef struct ShimJsonb
{
	int32		vl_len_;
	ShimBox		root;
} ShimJsonb;

StaticAssertDecl(offsetof(ShimJsonb, root) == offsetof(Jsonb, root),
				 "the shim's root is where a Jsonb's is");

typedef struct ShimContainer
{
	ShimBox    *box;
	char	   *source;			/* a document's root: the text it was read from */
	bool		is_object;
	int			n;
	int			capacity;
	char	  **keys;			/* objects */
	JsonbValue *values;
} ShimContainer;

/* a number: numeric_out's text of the value numeric_in made of its token */
typedef struct ShimNumeric
{
	char	   *text;
} ShimNumeric;

typedef struct ParseState
{
	ShimContainer *stack[SHIM_MAX_DEPTH + 1];
	int			depth;
	char	   *key;			/* an object's pending key */
	ShimContainer *root;
} ParseState;

static ShimContainer *
container_of(const JsonbContainer *jc)
{
	ShimContainer *c;

	memcpy(&c, ((const ShimBox *) jc)->container, sizeof(c));
	return c;
}

static ShimContainer *
container_new(bool is_object, bool is_scalar, ShimBox *box)
{
	ShimContainer *c = palloc0(sizeof(ShimContainer));

	c->box = box ? box : palloc0(sizeof(ShimBox));
	c->is_object = is_object;
	c->box->header = is_object ? JB_FOBJECT : JB_FARRAY | (is_scalar ? JB_FSCALAR : 0);
	memcpy(c->box->container, &c, sizeof(c));
	return c;
}

static void
container_add(ShimContainer *c, char *key, const JsonbValue *v)
{
	if (c->n == c->capacity)
	{
		c->capacity = c->capacity ? c->capacity * 2 : 8;
		c->values = c->values ? repalloc(c->values, sizeof(JsonbValue) * c->capacity) :
			palloc(sizeof(JsonbValue) * c->capacity);
		c->keys = c->keys ? repalloc(c->keys, sizeof(char *) * c->capacity) :
			palloc(sizeof(char *) * c->capacity);
	}
	c->keys[c->n] = key;
	c->values[c->n++] = *v;
	c->box->header = (c->box->header & ~JB_CMASK) | (uint32) c->n;
}

/* ---------- numbers, as numeric_in and numeric_out ---------- */

static void
numeric_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value overflows numeric format")));
}

/* a JSON number token (the lexer checked its syntax) as numeric_out's text */
static char *
numeric_text(const char *token)
{
	const char *p = token;
	bool		negative = false;
	StringInfoData digits,
				out;
	int			n_int = 0,
				n_frac = 0,
				point,
				dscale,
				first_nonzero = -1,
				i;
	long		exponent = 0;

	initStringInfo(&digits);
	if (*p == '-')
	{
		negative = true;
		p++;
	}
	for (; isdigit((unsigned char) *p); p++, n_int++)
		appendStringInfoChar(&digits, *p);
	if (*p == '.')
		for (p++; isdigit((unsigned char) *p); p++, n_frac++)
			appendStringInfoChar(&digits, *p);
	if (*p == 'e' || *p == 'E')
	{
		errno = 0;
		exponent = strtol(p + 1, NULL, 10);
		if (errno != 0 || exponent >= INT_MAX / 2 || exponent <= -(INT_MAX / 2))
			numeric_overflow();
	}
	point = n_int + (int) exponent; /* the digits before the decimal point */
	dscale = Max(n_frac - (int) exponent, 0);
	for (i = 0; i < digits.len; i++)
		if (digits.data[i] != '0')
		{
			first_nonzero = i;
			break;
		}
	if (dscale > SHIM_NUMERIC_DSCALE_MAX)
		numeric_overflow();
	if (first_nonzero >= 0)
	{
		/* the decimal exponent of the leading digit, then its NBASE weight */
		int			dweight = point - first_nonzero - 1;
		int			weight = dweight >= 0 ? dweight / 4 : -((-dweight + 3) / 4);

		if (weight > SHIM_NUMERIC_WEIGHT_MAX)
			numeric_overflow();
	}

	initStringInfo(&out);
	if (negative && first_nonzero >= 0)
		appendStringInfoChar(&out, '-');
	if (first_nonzero < 0 || point <= first_nonzero)
		appendStringInfoChar(&out, '0');
	else
		for (i = first_nonzero; i < point; i++)
			appendStringInfoChar(&out, i < digits.len ? digits.data[i] : '0');
	if (dscale > 0)
	{
		appendStringInfoChar(&out, '.');
		for (i = point; i < point + dscale; i++)
			appendStringInfoChar(&out, i >= 0 && i < digits.len ? digits.data[i] : '0');
	}
	pfree(digits.data);
	return out.data;
}

static ShimNumeric *
shim_numeric(Datum d)
{
	return (ShimNumeric *) DatumGetPointer(d);
}

Datum
numeric_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(pstrdup(shim_numeric(PG_GETARG_DATUM(0))->text));
}

/*
 * float8in or float4in of a number's numeric_out text: out of range when it
 * overflows or underflows to zero (denormals are accepted)
 */
static double
float_in(Datum number, bool single)
{
	const char *text = shim_numeric(number)->text;
	double		v;

	errno = 0;
	v = single ? (double) strtof(text, NULL) : strtod(text, NULL);
	if (errno == ERANGE && (v == 0.0 || isinf(v)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%s\" is out of range for type %s", text,
						single ? "real" : "double precision")));
	return v;
}

Datum
numeric_float8(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(float_in(PG_GETARG_DATUM(0), false));
}

Datum
numeric_float4(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT4((float) float_in(PG_GETARG_DATUM(0), true));
}

/* ---------- parsing, as jsonb_in ---------- */

static ShimContainer *
current(ParseState *ps)
{
	return ps->depth > 0 ? ps->stack[ps->depth - 1] : NULL;
}

/* a finished value: into the open container, or the document's root scalar */
static void
add_value(ParseState *ps, const JsonbValue *v)
{
	ShimContainer *c = current(ps);

	if (c == NULL)
	{
		/* a scalar document: a one-element array marked scalar, as jsonb */
		ps->root = container_new(false, true, NULL);
		c = ps->root;
	}
	container_add(c, c->is_object ? ps->key : NULL, v);
	ps->key = NULL;
}

static void
open_container(ParseState *ps, bool is_object)
{
	ShimContainer *c;

	/* the server's check_stack_depth(), at a fixed depth */
	if (ps->depth >= SHIM_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("stack depth limit exceeded")));
	c = container_new(is_object, false, NULL);
	if (ps->depth > 0)
	{
		JsonbValue	v;

		v.type = jbvBinary;
		v.val.binary.data = (JsonbContainer *) c->box;
		v.val.binary.len = 0;
		add_value(ps, &v);
	}
	else
		ps->root = c;
	ps->stack[ps->depth++] = c;
}

static void
on_object_start(void *state)
{
	open_container(state, true);
}

static void
on_array_start(void *state)
{
	open_container(state, false);
}

static void
on_end(void *state)
{
	((ParseState *) state)->depth--;
}

static void
on_field_start(void *state, char *fname, bool isnull)
{
	((ParseState *) state)->key = fname;
}

static void
on_scalar(void *state, char *token, JsonTokenType type)
{
	JsonbValue	v;

	switch (type)
	{
		case JSON_TOKEN_STRING:
			v.type = jbvString;
			v.val.string.val = token;
			v.val.string.len = (int) strlen(token);
			break;
		case JSON_TOKEN_NUMBER:
			{
				ShimNumeric *n = palloc(sizeof(ShimNumeric));

				n->text = numeric_text(token);
				v.type = jbvNumeric;
				v.val.numeric = (Numeric) n;
			}
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			v.type = jbvBool;
			v.val.boolean = type == JSON_TOKEN_TRUE;
			break;
		default:
			v.type = jbvNull;
			break;
	}
	add_value(state, &v);
}

Datum
jsonb_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	JsonLexContext *lex = makeJsonLexContextCstringLen(text, (int) strlen(text), PG_UTF8, true);
	ParseState *ps = palloc0(sizeof(ParseState));
	JsonSemAction sem = {0};
	JsonParseErrorType error;
	ShimJsonb  *jb;

	sem.semstate = ps;
	sem.object_start = on_object_start;
	sem.object_end = on_end;
	sem.array_start = on_array_start;
	sem.array_end = on_end;
	sem.object_field_start = on_field_start;
	sem.scalar = on_scalar;
	error = pg_parse_json(lex, &sem);
	if (error != JSON_SUCCESS)
		/* as json_ereport_error() */
		ereport(ERROR,
				(errcode(error == JSON_UNICODE_HIGH_ESCAPE || error == JSON_UNICODE_CODE_POINT_ZERO ?
						 ERRCODE_UNTRANSLATABLE_CHARACTER : ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type json"),
				 errdetail_internal("JsonParseErrorType %d near byte %d.", (int) error,
									(int) (lex->token_start ? lex->token_start - text : 0))));
	jb = palloc0(sizeof(ShimJsonb));
	SET_VARSIZE(jb, sizeof(ShimJsonb));
	/* the document's root container, its header copied where a Jsonb has it */
	jb->root = *ps->root->box;
	ps->root->box = &jb->root;
	ps->root->source = pstrdup(text);
	PG_RETURN_POINTER(jb);
}

/*
 * A document as text: here, the text it was read from (the server writes
 * it anew, canonically; the harnesses only need a document's text back)
 */
char *
JsonbToCString(StringInfo out, JsonbContainer *in, int estimated_len)
{
	ShimContainer *c = container_of(in);

	if (out != NULL || c->source == NULL)
		elog(ERROR, "JsonbToCString of a part of a document, or into a buffer");
	return pstrdup(c->source);
}

/* ---------- reading, as jsonb_util.c ---------- */

JsonbValue *
getKeyJsonValueFromContainer(JsonbContainer *container, const char *keyVal,
							 int keyLen, JsonbValue *res)
{
	ShimContainer *c = container_of(container);
	int			i;

	if (!c->is_object)
		return NULL;
	/* a repeated key keeps its last value */
	for (i = c->n - 1; i >= 0; i--)
		if (strlen(c->keys[i]) == (size_t) keyLen && memcmp(c->keys[i], keyVal, keyLen) == 0)
		{
			if (res == NULL)
				res = palloc(sizeof(JsonbValue));
			*res = c->values[i];
			return res;
		}
	return NULL;
}

JsonbValue *
getIthJsonbValueFromContainer(JsonbContainer *container, uint32 i)
{
	ShimContainer *c = container_of(container);
	JsonbValue *res;

	if (c->is_object)
		elog(ERROR, "not a jsonb array");
	if (i >= (uint32) c->n)
		return NULL;
	res = palloc(sizeof(JsonbValue));
	*res = c->values[i];
	return res;
}
