/*
 * labels.c — how a label becomes a class (see labels.h for the rule): the
 * dictionary of names, the text form of a label (label::text, in SQL for
 * the table scans and in C for bpnn_fit's typed labels), the checks of a
 * new class, and the order of the classes.  scan.c (bpnn_train in memory
 * and evaluation), train_stream.c, fit_aggregate.c (bpnn_fit) and
 * gradient_aggregate.c (bpnn_gradient) all take their classes from here.
 */
#include "postgres.h"

#include <ctype.h>
#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "labels.h"
#include "model.h"

/* ---------- the dictionary of names ---------- */

typedef struct LabelEntry
{
	char	   *name;			/* key: a pointer to the label text */
	int32		id;
} LabelEntry;

/*
 * Seeded once per process, at random: labels and class names come from
 * users, and with an unseeded hash_bytes anyone can make names that all
 * fall in one bucket (one 12-byte block sets its whole internal state),
 * which made building the classes of a crafted 100,000-class model take
 * minutes, deaf to cancels
 */
static uint64 label_seed;
static bool label_seeded = false;

/* the hash of a label's bytes, seeded per backend */
static uint32
label_hash(const void *key, Size keysize)
{
	const char *s = *(char *const *) key;

	return (uint32) hash_bytes_extended((const unsigned char *) s, (int) strlen(s), label_seed);
}

/* do two labels have the same bytes? (0 if so) */
static int
label_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* an empty dictionary of labels to class ids, for about expected labels */
LabelIds *
label_ids_create(long expected)
{
	HASHCTL		hctl = {0};

	if (!label_seeded)
	{
		label_seed = pg_prng_uint64(&pg_global_prng_state);
		label_seeded = true;
	}
	/* the key is a pointer to the label: any length, hashed by content */
	hctl.keysize = sizeof(char *);
	hctl.entrysize = sizeof(LabelEntry);
	hctl.hash = label_hash;
	hctl.match = label_match;
	hctl.hcxt = CurrentMemoryContext;
	return hash_create("bpnn labels", expected, &hctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* the class id of a label, or -1 */
int32
label_ids_find(LabelIds *ids, const char *label)
{
	LabelEntry *e = hash_search(ids, &label, HASH_FIND, NULL);

	return e ? e->id : -1;
}

/* give a label a class id (replacing any it had) */
void
label_ids_add(LabelIds *ids, const char *label, int32 id)
{
	bool		found;
	LabelEntry *e;

	/* its callers loop over every class of a model, or every new label */
	CHECK_FOR_INTERRUPTS();
	e = hash_search(ids, &label, HASH_ENTER, &found);
	e->id = id;
}

/* how many labels have a class id */
long
label_ids_count(LabelIds *ids)
{
	return hash_get_num_entries(ids);
}

/* a matcher of labels to a model's n classes */
void
labels_matcher_init(ClassMatcher *cm, char **names, int n)
{
	int			c;

	cm->n = n;
	cm->names = names;
	cm->len = palloc(sizeof(int) * Max(n, 1));
	cm->ids = label_ids_create(n);
	for (c = 0; c < n; c++)
	{
		label_ids_add(cm->ids, names[c], c);
		cm->len[c] = (int) strlen(names[c]);
	}
}

/* the class of a label, or an error (22023) naming it */
int32
labels_matcher_find(const ClassMatcher *cm, text *label)
{
	const char *bytes = VARDATA_ANY(label);
	int			len = VARSIZE_ANY_EXHDR(label);
	int32		id = -1;
	int			c;
	char	   *name;

	if (cm->n <= 16)
	{
		/* no copy, no hashing: what streaming passes, row after row */
		for (c = 0; c < cm->n; c++)
			if (cm->len[c] == len && memcmp(cm->names[c], bytes, len) == 0)
				return c;
	}
	else
	{
		name = text_to_cstring(label);
		id = label_ids_find(cm->ids, name);
		pfree(name);
	}
	if (id < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label \"%s\" is not a class of the model", text_to_cstring(label)),
				 errhint("The model's classes are listed by bpnn_classes(model).")));
	return id;
}

/* ---------- the text form ---------- */

/*
 * The types whose labels are numbers: their text is a number, and their
 * classes sort by value.  oid is one (its text is an unsigned integer);
 * the reg* types are not (their text is a name), nor is money (a currency
 * format).  Domains count as their base type.
 */
bool
labels_type_is_number(Oid type)
{
	switch (getBaseType(type))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
		case OIDOID:
			return true;
		default:
			return false;
	}
}

/* the SQL expression of a label column's text, compared by bytes */
char *
labels_sql_text(const char *column)
{
	return psprintf("((%s)::pg_catalog.text COLLATE pg_catalog.\"C\")",
					quote_identifier(column));
}

/* LabelCast.method */
#define CAST_BYTES 0			/* text, varchar: the value is the text */
#define CAST_FUNCTION 1			/* a cast function to text (bool, bpchar, inet) */
#define CAST_OUTPUT 2			/* I/O conversion: the output function */

/*
 * The cast type::text exactly as the parser would build it (the pathway
 * of an explicit cast), so bpnn_fit's labels read as bpnn_train reads its
 * label column: true/false for booleans, unpadded char(n), 10.0.0.1/32.
 */
void
labels_cast_init(LabelCast *cast, Oid type, MemoryContext cxt)
{
	Oid			func = InvalidOid;
	bool		varlena;

	cast->type = type;
	switch (find_coercion_pathway(TEXTOID, type, COERCION_EXPLICIT, &func))
	{
		case COERCION_PATH_RELABELTYPE:
			cast->method = CAST_BYTES;
			break;
		case COERCION_PATH_FUNC:
			cast->method = CAST_FUNCTION;
			cast->nargs = get_func_nargs(func);
			fmgr_info_cxt(func, &cast->fn, cxt);
			break;
		default:
			cast->method = CAST_OUTPUT;
			getTypeOutputInfo(type, &func, &varlena);
			fmgr_info_cxt(func, &cast->fn, cxt);
			break;
	}
}

/* a label's text, by the cast labels_cast_init chose */
char *
labels_cast_text(LabelCast *cast, Datum value)
{
	switch (cast->method)
	{
		case CAST_BYTES:
			return TextDatumGetCString(value);
		case CAST_FUNCTION:
			/* cast functions take (value[, typmod[, explicit]]) */
			return TextDatumGetCString(cast->nargs == 1 ?
									   FunctionCall1(&cast->fn, value) :
									   FunctionCall3(&cast->fn, value, Int32GetDatum(-1),
													 BoolGetDatum(true)));
		default:
			return OutputFunctionCall(&cast->fn, value);
	}
}

/* ---------- the classes of a training set ---------- */

struct LabelClasses
{
	MemoryContext cxt;
	bool		numeric;
	const char *column;
	LabelIds   *ids;
	char	  **names;			/* by id, in order of first appearance */
	int			n;
	int			capacity;
};

/* an empty set of classes for a label column (numeric: sorted as numbers) */
LabelClasses *
labels_begin(bool numeric, const char *column)
{
	LabelClasses *lc = palloc0(sizeof(LabelClasses));

	lc->cxt = CurrentMemoryContext;
	lc->numeric = numeric;
	lc->column = column;
	lc->ids = label_ids_create(64);
	lc->capacity = 64;
	lc->names = palloc(sizeof(char *) * lc->capacity);
	return lc;
}

/* may text become a class? */
static void
check_new_class(const LabelClasses *lc, const char *text)
{
	if (lc->numeric && (strcmp(text, "NaN") == 0 || strcmp(text, "Infinity") == 0 ||
						strcmp(text, "-Infinity") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 lc->column ? errmsg("label column \"%s\" contains %s", lc->column, text) :
				 errmsg("the label of bpnn_fit contains %s", text),
				 errdetail("A numeric label names a class and must be a finite number."),
				 errhint("Remove those rows, or replace the value with a class.")));
	if (strlen(text) > BPNN_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 lc->column ?
				 errmsg("label column \"%s\" has a value longer than %d bytes",
						lc->column, BPNN_MAX_NAME_BYTES) :
				 errmsg("the label of bpnn_fit has a value longer than %d bytes",
						BPNN_MAX_NAME_BYTES)));
	if (lc->n >= BPNN_MAX_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 lc->column ?
				 errmsg("label column \"%s\" has more than %d distinct values",
						lc->column, BPNN_MAX_CLASSES) :
				 errmsg("the label of bpnn_fit has more than %d distinct values",
						BPNN_MAX_CLASSES),
				 errhint("A label names a class; is it an identifier column?")));
}

/* an error when there are more classes than max_classes */
void
labels_check_count(int n_classes, int max_classes, const char *column, int64 rows,
				   bool numeric)
{
	if (n_classes <= max_classes)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 column ?
			 errmsg("label column \"%s\" has %d distinct values, more than max_classes (%d)",
					column, n_classes, max_classes) :
			 errmsg("the label of bpnn_fit has %d distinct values, more than max_classes (%d)",
					n_classes, max_classes),
			 errdetail("A classifier learns one output per distinct label: %d classes from " INT64_FORMAT " rows.",
					   n_classes, rows),
			 column != NULL && numeric ?
			 errhint("If the label is a measured quantity rather than a class, train a regressor with task => 'regression'; if %d classes are meant, raise max_classes.",
					 n_classes) :
			 errhint("If the label is a measured quantity rather than a class, train on it as a number column with bpnn_train(..., task => 'regression'); if %d classes are meant, raise max_classes.",
					 n_classes)));
}

/* the class id of a label, a new class if it is new (checked) */
int32
labels_add(LabelClasses *lc, const char *text)
{
	int32		id = label_ids_find(lc->ids, text);
	MemoryContext old;

	if (id >= 0)
		return id;
	check_new_class(lc, text);
	old = MemoryContextSwitchTo(lc->cxt);
	if (lc->n == lc->capacity)
	{
		lc->capacity *= 2;
		lc->names = repalloc(lc->names, sizeof(char *) * lc->capacity);
	}
	lc->names[lc->n] = pstrdup(text);
	label_ids_add(lc->ids, lc->names[lc->n], lc->n);
	MemoryContextSwitchTo(old);
	return lc->n++;
}

/* how many classes */
int
labels_count(const LabelClasses *lc)
{
	return lc->n;
}

/* the label of class id */
const char *
labels_name(const LabelClasses *lc, int32 id)
{
	Assert(id >= 0 && id < lc->n);
	return lc->names[id];
}

/* the classes in order, and where each class id went */
char **
labels_order(LabelClasses *lc, int32 **new_id)
{
	char	  **sorted = palloc(sizeof(char *) * Max(lc->n, 1));
	int			i;

	memcpy(sorted, lc->names, sizeof(char *) * lc->n);
	labels_sort(sorted, lc->n, lc->numeric);
	if (new_id != NULL)
	{
		*new_id = palloc(sizeof(int32) * Max(lc->n, 1));
		for (i = 0; i < lc->n; i++)
			(*new_id)[label_ids_find(lc->ids, sorted[i])] = i;
	}
	return sorted;
}

/* one label value standardized with output k's target scaling */
static float
standardized_target(const BpnnModel *model, double y, int k, const char *text,
					const char *function)
{
	double		t;

	if (!isfinite(y))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the label of a regressor must be a finite number, not \"%s\"", text),
				 errdetail("%s reads the label of a regressor as float8.", function)));
	t = (y - model->target_shift[k]) / model->target_scale[k];
	if (!(fabs(t) <= FLT_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the label %s is out of range for the model's target scaling", text),
				 errdetail("Standardized, it exceeds float4.")));
	return (float) t;
}

/* an error: the aggregate is still declared as in bpnn 0.2.0 */
void
labels_regression_targets(const BpnnModel *model, text *label, float *targets,
						  const char *function)
{
	char	   *s = text_to_cstring(label);
	const char *p = s;
	int			n_out = model_n_classes(model);
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				k;

	while (isspace((unsigned char) *p))
		p++;
	/* '[0:1]={...}': the text of an array whose lower bound is not 1 */
	if (*p != '{' && *p != '[')
	{
		/* a number: the label of a regressor of one output */
		if (n_out != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the label of a regressor of %d outputs must be a float8[] of %d values, not \"%s\"",
							n_out, n_out, s),
					 errhint("Pass the label column as label::text.")));
		targets[0] = standardized_target(model, float8in_internal(s, NULL, "double precision", s),
										 0, s, function);
		pfree(s);
		return;
	}
	/* a float8[] literal: one value per output, no NULL */
	/* array_in caches in flinfo: called through one */
	a = DatumGetArrayTypeP(OidInputFunctionCall(F_ARRAY_IN, s, FLOAT8OID, -1));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the label of a regressor must be a one-dimensional array")));
	deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (n != n_out)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the label holds %d value%s, and the model has %d output%s",
						n, n == 1 ? "" : "s", n_out, n_out == 1 ? "" : "s"),
				 errdetail("%s reads one value per output of a regressor.", function)));
	for (k = 0; k < n; k++)
	{
		if (nulls[k])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the label of a regressor contains a NULL element"),
					 errhint("A NULL label leaves its row out; a NULL element of a label array is an error.")));
		targets[k] = standardized_target(model, DatumGetFloat8(elems[k]), k, s, function);
	}
	pfree(elems);
	pfree(nulls);
	pfree(s);
}

/* an error: the aggregate is still declared as in bpnn 0.2.0 */
void
labels_refuse_old_declaration(const char *aggregate)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s is still declared as in bpnn 0.2.0", aggregate),
			 errdetail("Its label argument of type anyelement was replaced in bpnn 0.3.0."),
			 errhint("Run ALTER EXTENSION bpnn UPDATE.")));
}

/* ---------- the order of the classes ---------- */

typedef struct SortName
{
	char	   *name;
	Datum		value;			/* numbers: the name as numeric */
} SortName;

/* qsort order of labels by their bytes */
static int
compare_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Numbers by exact value (numeric holds every int8, oid and float8 text
 * exactly, where a double would merge large int8 values), then by bytes
 */
static int
compare_numbers(const void *a, const void *b)
{
	const SortName *x = (const SortName *) a;
	const SortName *y = (const SortName *) b;
	int			c = DatumGetInt32(DirectFunctionCall2(numeric_cmp, x->value, y->value));

	return c != 0 ? c : strcmp(x->name, y->name);
}

/* sort labels: by bytes, or numbers by value */
void
labels_sort(char **names, int n, bool numeric)
{
	SortName   *items;
	int			i;

	if (!numeric)
	{
		qsort(names, n, sizeof(char *), compare_bytes);
		return;
	}
	items = palloc(sizeof(SortName) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		items[i].name = names[i];
		items[i].value = DirectFunctionCall3(numeric_in, CStringGetDatum(names[i]),
											 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	}
	qsort(items, n, sizeof(SortName), compare_numbers);
	for (i = 0; i < n; i++)
		names[i] = items[i].name;
	pfree(items);
}
