/*
 * fit_aggregate_state.c — bpnn_fit's state between processes: the combine,
 * serialize and deserialize functions that let a parallel plan run the
 * aggregate (Partial Aggregate in each worker, Finalize Aggregate in the
 * leader), and the state's own checks and room for rows, which need no
 * training code (test/fuzz/fuzz_fit_state.c runs this file without it).
 * Combining concatenates two states' rows, exactly: the final function puts
 * the rows in a canonical order (fit_aggregate.c), so the model is the one
 * a serial plan gives.
 *
 * The serialized form is in the server's own byte order: PostgreSQL hands
 * it only from a parallel worker to its leader, never to another machine.
 * The deserialize function still trusts none of it (a superuser can pair
 * these functions with another aggregate's): magic, version, label type,
 * sizes, lengths, class names, every value and class id are checked, and
 * the rows count against bpnn.memory_limit as rows the scan adds do.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "fit_aggregate.h"
#include "gradient_aggregate.h"
#include "model.h"

PG_FUNCTION_INFO_V1(bpnn_fit_combinefn);
PG_FUNCTION_INFO_V1(bpnn_fit_serializefn);
PG_FUNCTION_INFO_V1(bpnn_fit_deserializefn);

#define GROUP_STATE_MAGIC 0x42504753	/* "BPGS" */
#define GROUP_STATE_VERSION 1

/* the fixed header of the serialized form */
typedef struct GroupStateHeader
{
	uint32		magic;
	uint32		version;
	Oid			label_type;
	int32		n_inputs;		/* -1: no row had features */
	int32		n_classes;
	int32		options_len;	/* bytes of the options' text form */
	int64		n_rows;
	int64		rows_skipped;
} GroupStateHeader;

static void bad_state(const char *detail) pg_attribute_noreturn();

/* an error: the bytes are not a bpnn_fit state, for the reason in detail */
static void
bad_state(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid bpnn_fit state"),
			 errdetail_internal("%s", detail)));
}

/* ---------- the state's checks and room ---------- */

static const Oid group_label_types[] = {
	TEXTOID, BOOLOID, INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID, NUMERICOID, OIDOID,
	FLOAT8ARRAYOID
};

/* is type the label type of one of bpnn_fit's overloads? */
bool
fit_aggregate_label_type_known(Oid type)
{
	int			i;

	for (i = 0; i < lengthof(group_label_types); i++)
		if (group_label_types[i] == type)
			return true;
	return false;
}

/*
 * The internal state in argument argno.  Only a superuser can build an
 * aggregate of an internal state, but one can pair these functions with
 * another aggregate's: a state that is not a GroupRows is an error.
 */
GroupRows *
fit_aggregate_state_arg(FunctionCallInfo fcinfo, int argno)
{
	GroupRows  *g = PG_ARGISNULL(argno) ? NULL : (GroupRows *) PG_GETARG_POINTER(argno);

	if (g != NULL && g->magic != GROUP_ROWS_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid bpnn_fit state"),
				 errdetail("The state was not made by bpnn_fit's support functions.")));
	return g;
}

/* the same, still holding its rows: not yet given to the final function */
GroupRows *
fit_aggregate_arg(FunctionCallInfo fcinfo, int argno)
{
	GroupRows  *g = fit_aggregate_state_arg(fcinfo, argno);

	if (g != NULL && g->trained != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid bpnn_fit state"),
				 errdetail("The state's rows were trained on and freed by the final function.")));
	return g;
}

/* room for more rows, within bpnn.memory_limit (an error beyond it) */
void
fit_aggregate_reserve(GroupRows *g, int64 more)
{
	Size		row_bytes = sizeof(float) * g->n_inputs + sizeof(int32);
	int64		max_rows = (int64) Min((Size) bpnn_memory_limit_kb * 1024 / row_bytes,
									   (Size) PG_INT32_MAX);
	int64		want;

	Assert(g->n_inputs > 0 && more >= 0);
	if (g->n_rows + more <= g->capacity)
		return;
	if (g->n_rows + more > max_rows)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the rows of one bpnn_fit group exceed bpnn.memory_limit"),
				 errdetail("bpnn.memory_limit is %d kB.", bpnn_memory_limit_kb),
				 errhint("Raise bpnn.memory_limit, or train the group with bpnn_train on a view, which streams.")));
	want = Min(Max(Max(g->capacity * 2, 256), g->n_rows + more), max_rows);
	if (g->x == NULL)
	{
		g->x = MemoryContextAllocHuge(g->cxt, sizeof(float) * g->n_inputs * want);
		g->y = MemoryContextAllocHuge(g->cxt, sizeof(int32) * want);
	}
	else
	{
		g->x = repalloc_huge(g->x, sizeof(float) * g->n_inputs * want);
		g->y = repalloc_huge(g->y, sizeof(int32) * want);
	}
	g->capacity = want;
}

/* ---------- combine ---------- */

/* b's rows after a's: b's classes become a's (by name), its counts add up */
static void
group_merge(GroupRows *a, const GroupRows *b)
{
	int32	   *class_of;
	int64		r;
	int			c;

	if (b->n_inputs >= 0)
	{
		if (a->n_inputs < 0)
			a->n_inputs = b->n_inputs;
		else if (a->n_inputs != b->n_inputs)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("every row must have %d features, not %d", a->n_inputs, b->n_inputs)));
	}
	a->rows_skipped += b->rows_skipped;
	if (b->n_rows == 0)
		return;
	fit_aggregate_reserve(a, b->n_rows);
	class_of = palloc(sizeof(int32) * labels_count(b->classes));
	for (c = 0; c < labels_count(b->classes); c++)
		class_of[c] = labels_add(a->classes, labels_name(b->classes, c));
	memcpy(a->x + (Size) a->n_rows * a->n_inputs, b->x, sizeof(float) * b->n_inputs * b->n_rows);
	for (r = 0; r < b->n_rows; r++)
	{
		a->y[a->n_rows + r] = class_of[b->y[r]];
		if ((r & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	a->n_rows += b->n_rows;
	a->values_imputed += b->values_imputed;
	pfree(class_of);
}

/*
 * Not strict: the first state is made here, in the aggregate's memory (the
 * second may live in memory that is reset after this call).
 */
Datum
bpnn_fit_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "bpnn_fit");
	GroupRows  *a = fit_aggregate_arg(fcinfo, 0);
	GroupRows  *b = fit_aggregate_arg(fcinfo, 1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == b)
		bad_state("The two states to combine are one.");
	if (a == NULL)
		a = fit_aggregate_new(aggcxt, b->label_type, b->options);
	else if (a->label_type != b->label_type)
		bad_state("The states were made for different label types.");
	else
		fit_aggregate_same_options(a, b->options);
	group_merge(a, b);
	PG_RETURN_POINTER(a);
}

/* ---------- serialize ---------- */

/* bpnn_fit's serialize function: a state as bytea, for the leader */
Datum
bpnn_fit_serializefn(PG_FUNCTION_ARGS)
{
	GroupRows  *g = fit_aggregate_arg(fcinfo, 0);
	char	   *options = JsonbToCString(NULL, &g->options->root, VARSIZE(g->options));
	GroupStateHeader h = {0};
	Size		rows_bytes = g->n_rows == 0 ? 0 :
		(sizeof(float) * g->n_inputs + sizeof(int32)) * (Size) g->n_rows;
	Size		total = VARHDRSZ + sizeof(h) + strlen(options) + rows_bytes;
	bytea	   *out;
	char	   *p;
	int			c;

	aggregate_context(fcinfo, "bpnn_fit");
	for (c = 0; c < labels_count(g->classes); c++)
		total += sizeof(int32) + strlen(labels_name(g->classes, c));
	if (total > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a parallel worker's bpnn_fit rows are too large to pass to the leader"),
				 errdetail("They take %zu MB; a value passed between processes takes at most 1 GB.",
						   total / (1024 * 1024)),
				 errhint("Run the query without parallel workers (SET max_parallel_workers_per_gather = 0).")));

	h.magic = GROUP_STATE_MAGIC;
	h.version = GROUP_STATE_VERSION;
	h.label_type = g->label_type;
	h.n_inputs = g->n_inputs;
	h.n_classes = labels_count(g->classes);
	h.options_len = (int32) strlen(options);
	h.n_rows = g->n_rows;
	h.rows_skipped = g->rows_skipped;

	out = palloc(total);
	SET_VARSIZE(out, total);
	p = VARDATA(out);
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, options, h.options_len);
	p += h.options_len;
	for (c = 0; c < h.n_classes; c++)
	{
		const char *name = labels_name(g->classes, c);
		int32		len = (int32) strlen(name);

		memcpy(p, &len, sizeof(len));
		memcpy(p + sizeof(len), name, len);
		p += sizeof(len) + len;
	}
	if (g->n_rows > 0)
	{
		memcpy(p, g->x, sizeof(float) * g->n_inputs * g->n_rows);
		p += sizeof(float) * g->n_inputs * g->n_rows;
		memcpy(p, g->y, sizeof(int32) * g->n_rows);
		p += sizeof(int32) * g->n_rows;
	}
	Assert(p == (char *) out + total);
	PG_RETURN_BYTEA_P(out);
}

/* ---------- deserialize ---------- */

typedef struct Reader
{
	const char *p;
	Size		left;
} Reader;

/* the next n bytes, or an error if the state ends before */
static const char *
take(Reader *r, Size n)
{
	const char *at = r->p;

	if (n > r->left)
		bad_state("It ends early.");
	r->p += n;
	r->left -= n;
	return at;
}

/* the class names: each a length and its bytes, none twice */
static void
read_classes(Reader *r, GroupRows *g, int n_classes)
{
	int			c;

	for (c = 0; c < n_classes; c++)
	{
		int32		len;
		const char *bytes;
		char	   *name;

		memcpy(&len, take(r, sizeof(len)), sizeof(len));
		if (len < 0 || len > BPNN_MAX_NAME_BYTES)
			bad_state("A class name's length is out of range.");
		bytes = take(r, len);
		if (memchr(bytes, '\0', len) != NULL || !pg_verifymbstr(bytes, len, true))
			bad_state("A class name is not valid text.");
		name = pnstrdup(bytes, len);
		if (labels_add(g->classes, name) != c)
			bad_state("A class name appears twice.");
		pfree(name);
	}
}

/* the rows: finite values (NaN only where missing values are imputed), known classes */
static void
read_rows(Reader *r, GroupRows *g, int64 n_rows)
{
	int			n_classes = labels_count(g->classes);
	bool	   *used = palloc0(sizeof(bool) * Max(n_classes, 1));
	Size		n_values = (Size) n_rows * g->n_inputs;
	Size		i;
	int64		row;
	int			c;

	fit_aggregate_reserve(g, n_rows);
	memcpy(g->x, take(r, sizeof(float) * n_values), sizeof(float) * n_values);
	memcpy(g->y, take(r, sizeof(int32) * n_rows), sizeof(int32) * n_rows);
	for (i = 0; i < n_values; i++)
	{
		if (isnan(g->x[i]) && g->args.missing == BPNN_MISSING_IMPUTE)
			g->values_imputed++;
		else if (!isfinite(g->x[i]))
			bad_state("A value is not finite.");
		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (row = 0; row < n_rows; row++)
	{
		if (g->y[row] < 0 || g->y[row] >= n_classes)
			bad_state("A row's class id is out of range.");
		used[g->y[row]] = true;
	}
	for (c = 0; c < n_classes; c++)
		if (!used[c])
			bad_state("A class has no row.");
	g->n_rows = n_rows;
	pfree(used);
}

/* strict; argument 1 (internal) is PostgreSQL's convention, unused */
Datum
bpnn_fit_deserializefn(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	Reader		r = {VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in)};
	GroupStateHeader h;
	const char *options_bytes;
	char	   *options_text;
	Jsonb	   *options;
	GroupRows  *g;

	aggregate_context(fcinfo, "bpnn_fit");
	memcpy(&h, take(&r, sizeof(h)), sizeof(h));
	if (h.magic != GROUP_STATE_MAGIC)
		bad_state("It is not a serialized bpnn_fit state.");
	if (h.version != GROUP_STATE_VERSION)
		bad_state("Its format version is unknown.");
	if (!fit_aggregate_label_type_known(h.label_type))
		bad_state("Its label type is not one of bpnn_fit's.");
	if (h.n_inputs == 0 || h.n_inputs < -1 || h.n_inputs > BPNN_MAX_UNITS)
		bad_state("Its number of features is out of range.");
	if (h.n_rows < 0 || h.rows_skipped < 0 || h.n_classes < 0 || h.n_classes > BPNN_MAX_CLASSES ||
		h.options_len < 0)
		bad_state("A count is negative or out of range.");
	if ((h.n_rows == 0) != (h.n_classes == 0) || (h.n_inputs < 0 && h.n_rows > 0))
		bad_state("Its counts of rows, classes and features disagree.");

	/*
	 * the options, from their text form: as the first row gave them (all of
	 * it: a zero byte would end the text early and leave bytes unread)
	 */
	options_bytes = take(&r, h.options_len);
	if (memchr(options_bytes, '\0', h.options_len) != NULL ||
		!pg_verifymbstr(options_bytes, h.options_len, true))
		bad_state("Its options are not valid text.");
	options_text = pnstrdup(options_bytes, h.options_len);
	options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(options_text)));
	g = fit_aggregate_new(CurrentMemoryContext, h.label_type, options);
	g->n_inputs = h.n_inputs;
	g->rows_skipped = h.rows_skipped;
	read_classes(&r, g, h.n_classes);

	/* exactly the rows the header announces, before any is allocated */
	if (h.n_rows > 0 &&
		(h.n_rows > (int64) (r.left / (sizeof(float) * h.n_inputs + sizeof(int32))) ||
		 r.left != (sizeof(float) * h.n_inputs + sizeof(int32)) * (Size) h.n_rows))
		bad_state("Its length does not match its number of rows.");
	if (h.n_rows > 0)
		read_rows(&r, g, h.n_rows);
	if (r.left != 0)
		bad_state("It has bytes after its rows.");
	PG_RETURN_POINTER(g);
}
