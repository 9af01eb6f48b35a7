/*
 * fit_aggregate.c — bpnn_fit(features, label, options): an aggregate that
 * trains one model per group, on the rows of any query (GROUP BY region, a
 * join, a filter).  The transition function packs the rows as the table
 * scan of bpnn_train does (float32, class ids) in the aggregate's memory,
 * bounded by bpnn.memory_limit; partial states of parallel workers are
 * concatenated (fit_aggregate_state.c).  The final function puts the rows
 * in a canonical order (by their values, then class), in place, so that the
 * model does not depend on the order the rows arrived in or on which
 * worker read them, and trains on them with train_model(), reading the
 * options jsonb as bpnn_train reads its arguments (same names, same
 * defaults, same checks).
 * A group that cannot be trained (no usable row, one class, too few rows
 * to hold out validation rows) gets a NULL model and a WARNING; the other
 * groups are trained.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "bpnn.h"
#include "fit_aggregate.h"
#include "gradient_aggregate.h"
#include "labels.h"
#include "train_memory.h"
#include "warm_start.h"

PG_FUNCTION_INFO_V1(bpnn_fit_transfn);
PG_FUNCTION_INFO_V1(bpnn_fit_finalfn);

/* ---------- options ---------- */

/* what an option must be, for its error message */
typedef enum OptionKind
{
	OPTION_INTEGER,
	OPTION_NUMBER,
	OPTION_STRING,
	OPTION_LAYER_SIZES
} OptionKind;

static void bad_option(const char *name, OptionKind kind) pg_attribute_noreturn();

/* an error: option name is not of its kind */
static void
bad_option(const char *name, OptionKind kind)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 kind == OPTION_INTEGER ? errmsg("option \"%s\" must be an integer", name) :
			 kind == OPTION_NUMBER ? errmsg("option \"%s\" must be a number", name) :
			 kind == OPTION_STRING ? errmsg("option \"%s\" must be a string", name) :
			 errmsg("option \"%s\" must be an array of layer sizes", name)));
}

/* an integer option's value, or an error naming the option */
static int32
json_int32(JsonbValue *v, const char *name)
{
	char	   *text;
	char	   *end;
	long		n;

	if (v->type != jbvNumeric)
		bad_option(name, OPTION_INTEGER);
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || n < PG_INT32_MIN || n > PG_INT32_MAX)
		bad_option(name, OPTION_INTEGER);
	return (int32) n;
}

/* one option as the Datum bpnn_train's argument of that name would hold */
static Datum
option_datum(TrainArg arg, JsonbValue *v)
{
	const char *name = train_arg_names[arg];

	switch (arg)
	{
		case TRAIN_ARG_HIDDEN:
			{
				Datum	   *sizes;
				int			n,
							i;

				if (v->type == jbvNumeric)
				{
					sizes = palloc(sizeof(Datum));
					sizes[0] = Int32GetDatum(json_int32(v, name));
					n = 1;
				}
				else if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
				{
					n = JsonContainerSize(v->val.binary.data);
					sizes = palloc(sizeof(Datum) * Max(n, 1));
					for (i = 0; i < n; i++)
						sizes[i] = Int32GetDatum(json_int32(getIthJsonbValueFromContainer(v->val.binary.data, i),
															name));
				}
				else
					bad_option(name, OPTION_LAYER_SIZES);
				return PointerGetDatum(construct_array(sizes, n, INT4OID, 4, true, TYPALIGN_INT));
			}
		case TRAIN_ARG_EPOCHS:
		case TRAIN_ARG_MAX_CLASSES:
		case TRAIN_ARG_BATCH_SIZE:
		case TRAIN_ARG_SEED:
		case TRAIN_ARG_PATIENCE:
			return Int32GetDatum(json_int32(v, name));
		case TRAIN_ARG_LEARNING_RATE:
		case TRAIN_ARG_MOMENTUM:
		case TRAIN_ARG_INIT_RANGE:
		case TRAIN_ARG_WEIGHT_DECAY:
		case TRAIN_ARG_VALIDATION_FRACTION:
			if (v->type != jbvNumeric)
				bad_option(name, OPTION_NUMBER);
			return DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric));
		case TRAIN_ARG_CLASS_WEIGHTS:
			if (v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data))
				return CStringGetTextDatum(JsonbToCString(NULL, v->val.binary.data,
														  v->val.binary.len));
			/* FALLTHROUGH */
		default:
			if (v->type != jbvString)
				bad_option(name, OPTION_STRING);
			return PointerGetDatum(cstring_to_text_with_len(v->val.string.val,
															v->val.string.len));
	}
}

/*
 * The training arguments from an options object: each option overrides
 * bpnn_train's default; then bpnn_train's own checks run on the result
 * (bpnn_fit's options, and each setting of bpnn_search).
 */
void
train_args_from_options(Jsonb *options, TrainArgs *args)
{
	Jsonb	   *defaults = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															  CStringGetDatum(train_arg_defaults)));
	LOCAL_FCINFO(call, 2 + TRAIN_ARG_COUNT);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			a;

	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the options of bpnn_fit must be a JSON object"),
				 errhint("For example: '{\"hidden\": [8], \"epochs\": 100}'.")));
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		if (strcmp(key, "init_model") == 0 || strcmp(key, "keep_state") == 0)
			continue;
		for (a = TRAIN_ARG_HIDDEN; a < TRAIN_ARG_COUNT; a++)
			if (strcmp(key, train_arg_names[a]) == 0)
				break;
		/* exclude names columns of a table; the aggregate has none */
		if (a == TRAIN_ARG_COUNT || a == TRAIN_ARG_EXCLUDE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown bpnn_fit option \"%s\"", key),
					 errhint("The options are bpnn_train's arguments from hidden to task (except exclude), init_model and keep_state; the features are the aggregate's first argument.")));
	}

	InitFunctionCallInfoData(*call, NULL, 2 + TRAIN_ARG_COUNT, InvalidOid, NULL, NULL);
	call->args[0].value = ObjectIdGetDatum(InvalidOid);
	call->args[0].isnull = false;
	call->args[1].value = CStringGetTextDatum("label");
	call->args[1].isnull = false;
	for (a = 0; a < TRAIN_ARG_COUNT; a++)
	{
		const char *name = train_arg_names[a];
		JsonbValue *given = getKeyJsonValueFromContainer(&options->root, name, strlen(name), NULL);
		JsonbValue *value = given ? given
			: getKeyJsonValueFromContainer(&defaults->root, name, strlen(name), NULL);
		NullableDatum *d = &call->args[2 + a];

		d->isnull = (value == NULL || value->type == jbvNull);
		d->value = d->isnull ? (Datum) 0 : option_datum((TrainArg) a, value);
	}
	train_args_read(call, 2, args);
	/* a model to continue (warm_start.c): its document, or its text */
	{
		JsonbValue *init = getKeyJsonValueFromContainer(&options->root, "init_model", 10, NULL);

		JsonbValue *keep = getKeyJsonValueFromContainer(&options->root, "keep_state", 10, NULL);

		if (init != NULL && init->type != jbvNull)
			warm_start_args(args, warm_start_model_from_jsonb(init));
		if (keep != NULL && keep->type != jbvBool)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the bpnn_fit option \"keep_state\" must be true or false")));
		args->keep_state = keep != NULL && keep->val.boolean;
	}
}

/* ---------- the state ---------- */

/*
 * an empty state in cxt for a label type and options (checked as
 * bpnn_train's arguments)
 */
GroupRows *
fit_aggregate_new(MemoryContext cxt, Oid label_type, Jsonb *options)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	GroupRows  *g = palloc0(sizeof(GroupRows));

	g->magic = GROUP_ROWS_MAGIC;
	g->cxt = cxt;
	g->label_type = label_type;
	train_args_from_options(options, &g->args);
	if (g->args.regression && label_type != FLOAT8ARRAYOID &&
		(!labels_type_is_number(label_type) || getBaseType(label_type) == OIDOID))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the label of bpnn_fit is of type %s, not a number", format_type_be(label_type)),
				 errdetail("{\"task\": \"regression\"} predicts a label of type smallint, integer, bigint, real, double precision or numeric, or several values in a double precision[].")));
	if (!g->args.regression && label_type == FLOAT8ARRAYOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a label of type double precision[] is a regressor's"),
				 errhint("Pass {\"task\": \"regression\"} in the options of bpnn_fit.")));
	g->options = palloc(VARSIZE(options));
	memcpy(g->options, options, VARSIZE(options));
	g->n_inputs = -1;			/* until a row has features */
	labels_cast_init(&g->label_cast, label_type, cxt);
	g->numeric_label = labels_type_is_number(label_type);
	g->classes = labels_begin(g->numeric_label, NULL);
	MemoryContextSwitchTo(old);
	return g;
}

/* an error unless options equal the state's (as jsonb) */
void
fit_aggregate_same_options(const GroupRows *g, Jsonb *options)
{
	/* the same bytes row after row (a constant); else equal as jsonb */
	if (VARSIZE(options) == VARSIZE(g->options) &&
		memcmp(options, g->options, VARSIZE(options)) == 0)
		return;
	if (DatumGetBool(DirectFunctionCall2(jsonb_eq, JsonbPGetDatum(options),
										 JsonbPGetDatum(g->options))))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the options of bpnn_fit must be the same on every row of a group"),
			 errdetail("Which row comes first depends on the plan (parallel workers read the rows in any order)."),
			 errhint("Pass the options as a constant, or group by them.")));
}

/* the class id of a label: label::text, a class by labels.c's rule */
static int32
group_label_id(GroupRows *g, Datum label)
{
	char	   *text = labels_cast_text(&g->label_cast, label);
	int32		id = labels_add(g->classes, text);

	pfree(text);
	return id;
}

/* ---------- the transition function ---------- */

/*
 * bpnn_fit(features float8[], label <label_type>, options jsonb): the
 * label's type is the declared one (one C function per overload, below),
 * never read from the call expression, which a remote executor such as
 * Citus's worker_partial_agg does not supply
 */
static Datum
fit_transfn(FunctionCallInfo fcinfo, Oid label_type)
{
	MemoryContext aggcxt;
	GroupRows  *g;
	Jsonb	   *options;
	double	   *row;
	float	   *dst;
	int			n,
				f;
	bool		has_null;

	aggcxt = aggregate_context(fcinfo, "bpnn_fit");
	g = fit_aggregate_arg(fcinfo, 0);
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the options of bpnn_fit must not be NULL"),
				 errhint("Pass '{}' for bpnn_train's defaults.")));
	options = PG_GETARG_JSONB_P(3);
	if (g == NULL)
		g = fit_aggregate_new(aggcxt, label_type, options);
	else if (g->label_type != label_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid bpnn_fit state"),
				 errdetail("The state was made for another label type.")));
	else
		fit_aggregate_same_options(g, options);

	if (PG_ARGISNULL(1))
	{
		g->rows_skipped++;
		PG_RETURN_POINTER(g);
	}
	row = training_row_values(PG_GETARG_ARRAYTYPE_P(1), &n, &has_null);
	if (g->n_inputs < 0)
		g->n_inputs = n;
	else if (n != g->n_inputs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every row must have %d features, not %d", g->n_inputs, n)));
	if (PG_ARGISNULL(2) || (has_null && g->args.missing != BPNN_MISSING_IMPUTE))
	{
		g->rows_skipped++;
		pfree(row);
		PG_RETURN_POINTER(g);
	}

	fit_aggregate_reserve(g, 1);
	dst = g->x + (Size) g->n_rows * g->n_inputs;
	for (f = 0; f < n; f++)
	{
		dst[f] = (float) row[f];	/* NaN stays NaN: imputed later */
		if (isnan(row[f]))
			g->values_imputed++;
	}
	pfree(row);
	g->y[g->n_rows] = group_label_id(g, PG_GETARG_DATUM(2));
	g->n_rows++;
	if ((g->n_rows & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
	PG_RETURN_POINTER(g);
}

/* bpnn_fit's overloads, one per label type (sql/install) */
#define BPNN_FIT_TRANSFN(suffix, type) \
PG_FUNCTION_INFO_V1(bpnn_fit_transfn_##suffix); \
Datum \
bpnn_fit_transfn_##suffix(PG_FUNCTION_ARGS) \
{ \
	return fit_transfn(fcinfo, type); \
}

BPNN_FIT_TRANSFN(text, TEXTOID)
BPNN_FIT_TRANSFN(bool, BOOLOID)
BPNN_FIT_TRANSFN(int2, INT2OID)
BPNN_FIT_TRANSFN(int4, INT4OID)
BPNN_FIT_TRANSFN(int8, INT8OID)
BPNN_FIT_TRANSFN(float4, FLOAT4OID)
BPNN_FIT_TRANSFN(float8, FLOAT8OID)
BPNN_FIT_TRANSFN(numeric, NUMERICOID)
BPNN_FIT_TRANSFN(oid, OIDOID)
BPNN_FIT_TRANSFN(float8_array, FLOAT8ARRAYOID)

/*
 * The C function behind bpnn 0.2.0's bpnn_fit(float8[], anyelement, jsonb),
 * which read the label's type from the call expression: it stays for that
 * declaration (the update scripts name it), and refuses
 */
Datum
bpnn_fit_transfn(PG_FUNCTION_ARGS)
{
	labels_refuse_old_declaration("bpnn_fit");
	PG_RETURN_NULL();
}

/* ---------- the final function ---------- */

/* the canonical order of the rows: what sort_rows compares */
typedef struct RowOrder
{
	const float *x;
	const int32 *class_rank;	/* by class id: its place in the ordered classes */
	const int32 *y;
	int			n_inputs;
} RowOrder;

/*
 * Rows a and b by their values as float4, feature after feature (NaN, a
 * NULL to impute, after every number, as PostgreSQL sorts float4), then by
 * class in the classes' order, then by the values' bits (which tells -0
 * from 0).  Rows that compare equal are identical, so their order cannot
 * matter.
 */
static int
compare_rows(const RowOrder *o, int64 a, int64 b)
{
	const float *xa = o->x + (Size) a * o->n_inputs;
	const float *xb = o->x + (Size) b * o->n_inputs;
	int32		ca = o->class_rank[o->y[a]];
	int32		cb = o->class_rank[o->y[b]];
	int			f;

	for (f = 0; f < o->n_inputs; f++)
	{
		bool		na = isnan(xa[f]),
					nb = isnan(xb[f]);

		if (na != nb)
			return na ? 1 : -1;
		if (!na && xa[f] != xb[f])
			return xa[f] < xb[f] ? -1 : 1;
	}
	if (ca != cb)
		return ca < cb ? -1 : 1;
	return memcmp(xa, xb, sizeof(float) * o->n_inputs);
}

/* row to takes row from's values and class */
static void
move_row(GroupRows *g, int64 to, int64 from)
{
	memcpy(g->x + (Size) to * g->n_inputs, g->x + (Size) from * g->n_inputs,
		   sizeof(float) * g->n_inputs);
	g->y[to] = g->y[from];
}

/*
 * The heap below root (of the first n rows) made a heap again, bottom-up
 * (Wegener's variant): down to a leaf along the larger children, one
 * comparison a level; back up to where root's row belongs; then root's row
 * goes there and the rows on the path above move up one level.  tmp holds
 * one row (n_inputs values).
 */
static void
sift_down(GroupRows *g, const RowOrder *o, int64 root, int64 n, float *tmp)
{
	int64		path[64];		/* the nodes below root, down to the leaf */
	int			depth = 0,
				k;
	int64		j = root;
	int32		root_class;

	while (2 * j + 2 < n)
	{
		j = compare_rows(o, 2 * j + 1, 2 * j + 2) > 0 ? 2 * j + 1 : 2 * j + 2;
		path[depth++] = j;
	}
	if (2 * j + 1 < n)
	{
		j = 2 * j + 1;
		path[depth++] = j;
	}
	while (depth > 0 && compare_rows(o, root, path[depth - 1]) > 0)
		depth--;
	if (depth == 0)
		return;
	memcpy(tmp, g->x + (Size) root * g->n_inputs, sizeof(float) * g->n_inputs);
	root_class = g->y[root];
	move_row(g, root, path[0]);
	for (k = 1; k < depth; k++)
		move_row(g, path[k - 1], path[k]);
	memcpy(g->x + (Size) path[depth - 1] * g->n_inputs, tmp, sizeof(float) * g->n_inputs);
	g->y[path[depth - 1]] = root_class;
}

/*
 * The state's rows in the canonical order, in place: a heapsort, which
 * needs no memory beyond one row (an index to sort would take 4 or 8
 * bytes a row, a copy of the rows as much again as bpnn.memory_limit)
 */
static void
sort_rows(GroupRows *g, const int32 *class_rank)
{
	RowOrder	o = {g->x, class_rank, g->y, g->n_inputs};
	float	   *tmp = palloc(sizeof(float) * g->n_inputs);
	float	   *last = palloc(sizeof(float) * g->n_inputs);
	int64		i;

	for (i = g->n_rows / 2 - 1; i >= 0; i--)
	{
		sift_down(g, &o, i, g->n_rows, tmp);
		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (i = g->n_rows - 1; i > 0; i--)
	{
		/* the largest row (the root) and the last row of the heap change places */
		int32		y = g->y[i];

		memcpy(last, g->x + (Size) i * g->n_inputs, sizeof(float) * g->n_inputs);
		move_row(g, i, 0);
		memcpy(g->x, last, sizeof(float) * g->n_inputs);
		g->y[0] = y;
		sift_down(g, &o, 0, i, tmp);
		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(last);
	pfree(tmp);
}

/*
 * A regressor's targets, by class id: each distinct label's text (label::text
 * of a number type, or of a float8[]) read once, n_out values per class.
 * Returns why they cannot be targets (a sentence), or NULL.
 */
static char *
group_targets(GroupRows *g, double **targets, int *n_out)
{
	int			n_classes = labels_count(g->classes);
	int			c,
				k;

	*n_out = -1;
	*targets = NULL;
	for (c = 0; c < n_classes; c++)
	{
		const char *name = labels_name(g->classes, c);
		Datum		one;
		Datum	   *elems = &one;
		bool	   *nulls = NULL;
		int			n = 1;

		if (g->label_type == FLOAT8ARRAYOID)
		{
			ArrayType  *a = DatumGetArrayTypeP(OidInputFunctionCall(F_ARRAY_IN, (char *) name,
																	FLOAT8OID, -1));

			if (ARR_NDIM(a) > 1)
				return psprintf("Its label %s is not a one-dimensional array.", name);
			deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
		}
		else
			one = DirectFunctionCall1(float8in, CStringGetDatum(name));
		if (n < 1)
			return pstrdup("Its label holds an empty array.");
		if (*n_out < 0)
		{
			*n_out = n;
			*targets = palloc(sizeof(double) * n * Max(n_classes, 1));
		}
		if (n != *n_out)
			return psprintf("Its label arrays are of different lengths (%d and %d values); every label holds one value per output.",
							Min(*n_out, n), Max(*n_out, n));
		for (k = 0; k < n; k++)
		{
			if (nulls && nulls[k])
				return psprintf("Its label %s has a NULL element.", name);
			if (!isfinite(DatumGetFloat8(elems[k])))
				return psprintf("Its label %s is not finite.", name);
			(*targets)[c * n + k] = DatumGetFloat8(elems[k]);
		}
	}
	return NULL;
}

/*
 * The group's rows as the TrainingSet a scan of one array column gives, in
 * the canonical order, with the statistics of their float4 values (as
 * training takes the statistics of a subset of rows) computed in that
 * order: the same rows give the same bits, however they arrived.  The set
 * is the state's rows themselves, sorted in place and their class ids
 * renumbered (the final function may modify the state: FINALFUNC_MODIFY =
 * READ_WRITE), so a group takes no more memory than its rows.
 */
static TrainingSet *
group_training_set(GroupRows *g)
{
	TrainingSet *set = palloc0(sizeof(TrainingSet));
	int32	   *new_id;
	double	   *row;
	double	   *class_targets = NULL;
	int			n_out = 0;
	int64		r;
	int			f,
				k;

	set->source_name = "bpnn_fit";
	set->n_rows = g->n_rows;
	set->rows_skipped = g->rows_skipped;
	set->values_imputed = g->values_imputed;
	set->n_inputs = g->n_inputs;
	set->feature_names = palloc(sizeof(char *) * g->n_inputs);
	for (f = 0; f < g->n_inputs; f++)
		set->feature_names[f] = psprintf("features[%d]", f + 1);
	set->n_columns = 1;
	set->column_names = palloc(sizeof(char *));
	set->column_names[0] = "features";
	set->column_widths = palloc(sizeof(int32));
	set->column_widths[0] = g->n_inputs;
	set->column_kinds = palloc(sizeof(uint8));
	set->column_kinds[0] = BPNN_COLUMN_ARRAY;
	set->categories = palloc0(sizeof(char **));
	set->impute = palloc0(sizeof(double) * g->n_inputs);
	set->numeric_label = g->numeric_label;

	/* classes in training's order */
	set->n_classes = labels_count(g->classes);
	set->class_names = labels_order(g->classes, &new_id);

	sort_rows(g, new_id);
	set->x = g->x;
	set->y = g->y;
	set->stats = palloc(sizeof(FeatureStats) * g->n_inputs);
	feature_stats_init(set->stats, g->n_inputs);
	row = palloc(sizeof(double) * g->n_inputs);
	if (g->args.regression)
	{
		/* group_untrainable has checked them */
		if (group_targets(g, &class_targets, &n_out) != NULL)
			elog(ERROR, "the labels of a bpnn_fit group are not targets");
		set->target = MemoryContextAllocHuge(CurrentMemoryContext,
											 sizeof(double) * n_out * g->n_rows);
	}
	for (r = 0; r < g->n_rows; r++)
	{
		const float *src = g->x + (Size) r * g->n_inputs;

		if (g->args.regression)
		{
			/* the label's values, by its class id in the state */
			for (k = 0; k < n_out; k++)
				set->target[r * n_out + k] = class_targets[g->y[r] * n_out + k];
			g->y[r] = 0;
		}
		else
			g->y[r] = new_id[g->y[r]];
		for (f = 0; f < g->n_inputs; f++)
			row[f] = src[f];
		feature_stats_add(set->stats, row, g->n_inputs);	/* NaN is not counted */
		if ((r & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (g->args.regression)
	{
		/* an output per target, named after bpnn_fit's label ("label[i]" for an array) */
		set->regression = true;
		set->label_array = g->label_type == FLOAT8ARRAYOID;
		set->n_classes = n_out;
		set->class_names = palloc(sizeof(char *) * n_out);
		for (k = 0; k < n_out; k++)
			set->class_names[k] = set->label_array ? psprintf("label[%d]", k + 1) : "label";
	}
	return set;
}

/*
 * Why this group cannot be trained (a sentence for errdetail), or NULL if
 * it can.  These depend on the group's rows, not on the caller's options
 * alone, so they cost the group its model and not the query.
 */
static char *
group_untrainable(GroupRows *g, int *sqlstate)
{
	int			n_classes = labels_count(g->classes);

	*sqlstate = ERRCODE_INVALID_PARAMETER_VALUE;
	if (g->n_rows == 0)
	{
		*sqlstate = ERRCODE_NO_DATA_FOUND;
		return g->args.missing == BPNN_MISSING_IMPUTE ?
			pstrdup("All of its rows have a NULL label or feature.") :
			pstrdup("All of its rows have a NULL label or feature (missing is \"skip\").");
	}
	if (g->args.regression)
	{
		double	   *targets;
		int			n_out;
		char	   *problem = group_targets(g, &targets, &n_out);

		if (problem != NULL)
			return problem;
		/* split_rows holds out a share of all rows, keeping one for training */
		if (g->args.validation_fraction > 0.0 &&
			Min((int64) floor(g->n_rows * g->args.validation_fraction + 0.5), g->n_rows - 1) == 0)
			return psprintf("validation_fraction %g holds out none of its " INT64_FORMAT " usable rows.",
							g->args.validation_fraction, g->n_rows);
		return NULL;
	}
	if (n_classes < 2 && g->args.init == NULL)
		return psprintf("It has only one class, \"%s\"; a classifier needs at least two distinct labels.",
						labels_name(g->classes, 0));
	if (g->args.validation_fraction > 0.0)
	{
		/* the rows split_rows (train_memory.c) would hold out: none is an error there */
		int64	   *per_class = palloc0(sizeof(int64) * n_classes);
		int64		held_out = 0,
					r;
		int			c;

		for (r = 0; r < g->n_rows; r++)
			per_class[g->y[r]]++;
		for (c = 0; c < n_classes; c++)
			held_out += Min((int64) floor(per_class[c] * g->args.validation_fraction + 0.5),
							per_class[c] - 1);
		pfree(per_class);
		if (held_out == 0)
			return psprintf("validation_fraction %g holds out none of its " INT64_FORMAT " usable rows.",
							g->args.validation_fraction, g->n_rows);
	}
	return NULL;
}

/*
 * The model of one group.  The aggregates are declared FINALFUNC_MODIFY =
 * READ_WRITE (sql/install), as core's ordered-set aggregates are: training
 * sorts and normalizes the state's rows in place, and frees them after.
 * PostgreSQL then never shares the state with another aggregate nor calls
 * this as a window function; a declaration made before bpnn 0.4.0 would,
 * and is refused.  A rescan of a hashed aggregate asks for the model
 * again: it is kept in the state.
 */
Datum
bpnn_fit_finalfn(PG_FUNCTION_ARGS)
{
	GroupRows  *g;
	MemoryContext train_cxt,
				old;
	TrainingSet *set;
	BpnnModel  *model;
	TrainArgs	args = {0};
	instr_time	start;
	struct varlena *result;
	char	   *reason;
	int			sqlstate;

	if (AggCheckCallContext(fcinfo, NULL) == AGG_CONTEXT_WINDOW || AggStateIsShared(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("bpnn_fit cannot be used as a window function or share its state with another aggregate"),
				 errdetail("Its final function trains on the rows in place."),
				 errhint("Declarations of bpnn_fit made before bpnn 0.4.0 allow this: run ALTER EXTENSION bpnn UPDATE.")));
	g = fit_aggregate_state_arg(fcinfo, 0);
	if (g == NULL)
		PG_RETURN_NULL();
	if (g->trained != NULL)
		PG_RETURN_POINTER(g->trained);
	reason = group_untrainable(g, &sqlstate);
	if (reason != NULL)
	{
		ereport(WARNING,
				(errcode(sqlstate),
				 errmsg("a bpnn_fit group of " INT64_FORMAT " rows (" INT64_FORMAT " skipped) gets no model",
						g->n_rows + g->rows_skipped, g->rows_skipped),
				 errdetail_internal("%s", reason),
				 errhint("Its model is NULL; the other groups are trained.")));
		PG_RETURN_NULL();
	}
	if (!g->args.regression)
		labels_check_count(labels_count(g->classes), g->args.max_classes, NULL, g->n_rows, false);

	INSTR_TIME_SET_CURRENT(start);
	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn_fit training",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);
	set = group_training_set(g);
	args = g->args;
	if (args.init)
		warm_start_check_set(args.init, set);
	args.live = live_progress_begin(LIVE_FIT, InvalidOid, 0, 0);
	model = train_model(&args, set, NULL, set->n_rows);
	live_progress_end(args.live);
	result = train_finish(model, start, train_cxt, old);

	/* the rows are normalized now: only the model is left to give */
	g->trained = MemoryContextAlloc(g->cxt, VARSIZE(result));
	memcpy(g->trained, result, VARSIZE(result));
	pfree(g->x);
	pfree(g->y);
	g->x = NULL;
	g->y = NULL;
	g->capacity = 0;
	PG_RETURN_POINTER(result);
}
