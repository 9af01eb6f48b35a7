/*
 * fit_shim.c — what src/fit_aggregate_state.c and src/labels.c need beyond
 * pg_shim.c and jsonb_shim.c, for running bpnn_fit's state functions
 * outside the server (test/fuzz/fuzz_fit_state.c):
 *   - fit_aggregate_new: a stand-in for fit_aggregate.c's, which reads the
 *     options as bpnn_train's arguments (train_setup.c, warm_start.c: the
 *     catalogs, the training code).  The stand-in keeps what a state's
 *     checks depend on: the options must be a JSON object, and "missing":
 *     "impute" lets a value be NaN.  The options' own reading is reached
 *     from SQL with any jsonb (bpnn_fit's third argument).
 *   - fit_aggregate_same_options: equal as text (the server: as jsonb)
 *   - aggregate_context: the harness calls the functions as an aggregate
 *     would, in the current context
 *   - bpnn_memory_limit_kb: the setting's default, 1 GB
 *   - dynahash (hash_create, hash_search, hash_get_num_entries): a list
 *     searched in order, as labels.c uses it (pointer keys, its own hash
 *     and match functions)
 *   - the catalog and type functions labels.c calls for other callers
 *     (label casts, numeric sorting, regression targets): never reached
 *     from a state's functions, so each aborts
 */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>

#include "fmgr.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "pg_shim.h"
#include "fit_aggregate.h"

int			bpnn_memory_limit_kb = 1024 * 1024;

static void
unreached(const char *what)
{
	fprintf(stderr, "fit_shim: %s called from a bpnn_fit state function\n", what);
	abort();
}

/* ---------- fit_aggregate.c's and gradient_aggregate.c's part ---------- */

MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *name)
{
	return CurrentMemoryContext;
}

GroupRows *
fit_aggregate_new(MemoryContext cxt, Oid label_type, Jsonb *options)
{
	GroupRows  *g = palloc0(sizeof(GroupRows));
	JsonbValue *missing;

	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the options of bpnn_fit must be a JSON object")));
	missing = getKeyJsonValueFromContainer(&options->root, "missing", 7, NULL);
	g->magic = GROUP_ROWS_MAGIC;
	g->cxt = cxt;
	g->label_type = label_type;
	g->args.missing = missing != NULL && missing->type == jbvString &&
		missing->val.string.len == 6 && memcmp(missing->val.string.val, "impute", 6) == 0 ?
		BPNN_MISSING_IMPUTE : BPNN_MISSING_SKIP;
	g->options = palloc(VARSIZE(options));
	memcpy(g->options, options, VARSIZE(options));
	g->n_inputs = -1;
	g->numeric_label = labels_type_is_number(label_type);
	g->classes = labels_begin(g->numeric_label, NULL);
	return g;
}

void
fit_aggregate_same_options(const GroupRows *g, Jsonb *options)
{
	if (strcmp(JsonbToCString(NULL, &g->options->root, VARSIZE(g->options)),
			   JsonbToCString(NULL, &options->root, VARSIZE(options))) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the options of bpnn_fit must be the same on every row of a group")));
}

/* ---------- dynahash: a list ---------- */

struct HTAB
{
	Size		keysize;
	Size		entrysize;
	HashCompareFunc match;
	long		n;
	long		capacity;
	void	  **entries;
};

HTAB *
hash_create(const char *tabname, long nelem, const HASHCTL *info, int flags)
{
	HTAB	   *h = palloc0(sizeof(HTAB));

	if ((flags & (HASH_ELEM | HASH_COMPARE)) != (HASH_ELEM | HASH_COMPARE))
		unreached("hash_create without its own key and match function");
	h->keysize = info->keysize;
	h->entrysize = info->entrysize;
	h->match = info->match;
	h->capacity = Max(nelem, 8);
	h->entries = palloc(sizeof(void *) * h->capacity);
	return h;
}

void *
hash_search(HTAB *h, const void *key, HASHACTION action, bool *found)
{
	long		i;
	void	   *e;

	for (i = 0; i < h->n; i++)
		if (h->match(h->entries[i], key, h->keysize) == 0)
		{
			if (found)
				*found = true;
			return h->entries[i];
		}
	if (found)
		*found = false;
	if (action == HASH_FIND)
		return NULL;
	if (action != HASH_ENTER)
		unreached("hash_search but to find or enter");
	if (h->n == h->capacity)
	{
		h->capacity *= 2;
		h->entries = repalloc(h->entries, sizeof(void *) * h->capacity);
	}
	e = palloc0(h->entrysize);
	memcpy(e, key, h->keysize);
	h->entries[h->n++] = e;
	return e;
}

long
hash_get_num_entries(HTAB *h)
{
	return h->n;
}

/* ---------- what labels.c calls for other callers ---------- */

Oid
getBaseType(Oid typid)
{
	return typid;				/* the label types of bpnn_fit's overloads: no domains */
}

void
getTypeOutputInfo(Oid type, Oid *typOutput, bool *typIsVarlena)
{
	unreached("getTypeOutputInfo");
}

void
fmgr_info_cxt(Oid functionId, FmgrInfo *finfo, MemoryContext mcxt)
{
	unreached("fmgr_info_cxt");
}

char *
OutputFunctionCall(FmgrInfo *flinfo, Datum val)
{
	unreached("OutputFunctionCall");
	return NULL;
}

Datum
FunctionCall1Coll(FmgrInfo *flinfo, Oid collation, Datum arg1)
{
	unreached("FunctionCall1Coll");
	return (Datum) 0;
}

Datum
FunctionCall3Coll(FmgrInfo *flinfo, Oid collation, Datum arg1, Datum arg2, Datum arg3)
{
	unreached("FunctionCall3Coll");
	return (Datum) 0;
}

Datum
DirectFunctionCall2Coll(PGFunction func, Oid collation, Datum arg1, Datum arg2)
{
	unreached("DirectFunctionCall2Coll");
	return (Datum) 0;
}

Datum
DirectFunctionCall3Coll(PGFunction func, Oid collation, Datum arg1, Datum arg2, Datum arg3)
{
	unreached("DirectFunctionCall3Coll");
	return (Datum) 0;
}

Datum
OidInputFunctionCall(Oid functionId, char *str, Oid typioparam, int32 typmod)
{
	unreached("OidInputFunctionCall");
	return (Datum) 0;
}

CoercionPathType
find_coercion_pathway(Oid targetTypeId, Oid sourceTypeId, CoercionContext ccontext,
					  Oid *funcid)
{
	unreached("find_coercion_pathway");
	return COERCION_PATH_NONE;
}

int
get_func_nargs(Oid funcid)
{
	unreached("get_func_nargs");
	return 0;
}

const char *
quote_identifier(const char *ident)
{
	unreached("quote_identifier");
	return NULL;
}

char *
format_type_be(Oid type_oid)
{
	unreached("format_type_be");
	return NULL;
}

float8
float8in_internal(char *num, char **endptr_p, const char *type_name, const char *orig_string)
{
	unreached("float8in_internal");
	return 0.0;
}

Datum
numeric_in(PG_FUNCTION_ARGS)
{
	unreached("numeric_in");
	return (Datum) 0;
}

Datum
numeric_cmp(PG_FUNCTION_ARGS)
{
	unreached("numeric_cmp");
	return (Datum) 0;
}

char *
text_to_cstring(const text *t)
{
	unreached("text_to_cstring");
	return NULL;
}

void
deconstruct_array(ArrayType *array, Oid elmtype, int elmlen, bool elmbyval, char elmalign,
				  Datum **elemsp, bool **nullsp, int *nelemsp)
{
	unreached("deconstruct_array");
}
