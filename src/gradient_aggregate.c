/*
 * gradient_aggregate.c — the aggregates that let training run as table
 * scans:
 *
 *   bpnn_gradient(model, features, label text) -> bpnn_state: the full-batch
 *     loss and error-signal sums of a model over the rows it sees (a
 *     classifier's label matched to its classes, a regressor's read as
 *     float8, or float8[] for several outputs, and standardized: labels.h)
 *     (transition, combine and final functions; parallel safe, and its
 *     state is a real SQL type, so distributed planners can push it down);
 *   bpnn_feature_stats(features, skip_incomplete) -> float8[]: combinable
 *     per-feature count, min, max, mean and M2, for the scalers;
 *
 * bpnn_apply_gradient (one descent step with a gradient), and what every
 * aggregate of bpnn shares (aggregate_context, training_row_values).  The
 * bpnn_state type and the functions that read it are gradient_state.c's.
 * Streaming training (train_stream.c) is a loop of these scans.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "gradient_aggregate.h"
#include "gradient_state.h"
#include "labels.h"
#include "model.h"
#include "model_row.h"
#include "scan.h"

PG_FUNCTION_INFO_V1(bpnn_gradient_transfn);
PG_FUNCTION_INFO_V1(bpnn_gradient_transfn_text);
PG_FUNCTION_INFO_V1(bpnn_gradient_combinefn);
PG_FUNCTION_INFO_V1(bpnn_gradient_finalfn);
PG_FUNCTION_INFO_V1(bpnn_apply_gradient);
PG_FUNCTION_INFO_V1(bpnn_feature_stats_transfn);
PG_FUNCTION_INFO_V1(bpnn_feature_stats_combinefn);

/*
 * the aggregate's memory context, or an error naming the aggregate outside
 * one
 */
MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *name)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", name)));
	return cxt;
}

/* ---------- bpnn_gradient ---------- */

/*
 * The models bpnn_gradient is given, decoded once per transaction rather
 * than once per query (model_cache.c): under Citus's worker_partial_agg,
 * fn_extra lasts one row
 */
static KeptModel gradient_models = KEPT_MODEL_INIT("bpnn_gradient models");

/* per model, in the kept model's context: scratch and the class names */
typedef struct GradientCache
{
	StateScratch scratch;
	ClassMatcher classes;
} GradientCache;

/*
 * the model's class matcher and summing workspace, made once per decoded
 * model
 */
static GradientCache *
gradient_cache(CachedModel *cm)
{
	GradientCache *gc = (GradientCache *) cm->extra;
	MemoryContext old;

	if (gc != NULL)
		return gc;
	old = MemoryContextSwitchTo(cm->cxt);
	gc = palloc0(sizeof(GradientCache));
	gradient_state_scratch_init(&gc->scratch, cm->model);
	labels_matcher_init(&gc->classes, cm->model->class_names, model_n_classes(cm->model));
	cm->extra = gc;
	MemoryContextSwitchTo(old);
	return gc;
}

/*
 * bpnn_gradient(model bpnn_model, features float8[], label text): the
 * label is the caller's label::text (labels.h), matched by its bytes to a
 * classifier's classes, or read as a regressor's number (float8[] of
 * several outputs)
 */
Datum
bpnn_gradient_transfn_text(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "bpnn_gradient");
	BpnnState  *s = PG_ARGISNULL(0) ? NULL : PG_GETARG_BPNN_STATE(0);
	CachedModel *cm;
	GradientCache *gc;
	ArrayType  *features;
	const double *values;
	int			row;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the model of bpnn_gradient must not be NULL")));
	cm = model_from_arg_kept(fcinfo, 1, &gradient_models);
	gc = gradient_cache(cm);
	if (s == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		s = gradient_state_create(cm, true);
		MemoryContextSwitchTo(old);
	}
	else if (s->model_checksum != cm->checksum || s->capacity == 0 ||
			 s->model_len != (int32) cm->len ||
			 s->n_features != model_n_features(cm->model) ||
			 (Size) s->n_weights != nn_weight_count(&cm->model->layout) ||
			 s->targets != state_targets_of(cm->model))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bpnn_gradient must be given the same model on every row")));

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		s->skipped++;
		PG_RETURN_POINTER(s);
	}
	features = PG_GETARG_ARRAYTYPE_P(2);
	/* one dimension, as training reads arrays (labels.sql) */
	values = model_read_features(cm->model, features, cm->row);
	if (values == NULL)
	{
		s->skipped++;
		PG_RETURN_POINTER(s);
	}
	/* the label first: a bad one leaves the buffer as it was */
	row = s->buffered;
	if (s->targets)
		labels_regression_targets(cm->model, PG_GETARG_TEXT_PP(3),
								  gradient_state_targets(s) + (Size) row * s->targets, "bpnn_gradient");
	else
		gradient_state_labels(s)[row] = labels_matcher_find(&gc->classes, PG_GETARG_TEXT_PP(3));
	model_normalize_features(cm->model, values,
							 gradient_state_buffer(s) + (Size) row * s->n_features);
	s->buffered++;
	if (s->buffered == s->capacity)
	{
		CHECK_FOR_INTERRUPTS();
		gradient_state_sum_buffer(s, &gc->scratch);
	}
	PG_RETURN_POINTER(s);
}

/*
 * The C function behind bpnn 0.2.0's bpnn_gradient(bpnn_model, float8[],
 * anyelement), which read the label's type from the call expression: it
 * stays for that declaration (the update scripts name it), and refuses
 */
Datum
bpnn_gradient_transfn(PG_FUNCTION_ARGS)
{
	labels_refuse_old_declaration("bpnn_gradient");
	PG_RETURN_NULL();
}

/* strict: the executor passes a NULL state through */
Datum
bpnn_gradient_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "bpnn_gradient");
	BpnnState  *a = PG_GETARG_BPNN_STATE(0);
	BpnnState  *b = PG_GETARG_BPNN_STATE(1);
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	BpnnState  *sum = gradient_state_add(gradient_state_compact(a), gradient_state_compact(b));

	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(sum);
}

/* bpnn_gradient's final function: the state with every row summed */
Datum
bpnn_gradient_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(gradient_state_compact(PG_GETARG_BPNN_STATE(0)));
}

/* ---------- applying a gradient ---------- */

/* bpnn_apply_gradient(model, gradient, learning_rate): w <- w - rate * mean gradient */
Datum
bpnn_apply_gradient(PG_FUNCTION_ARGS)
{
	CachedModel *cm;
	BpnnState  *s;
	double		rate;
	BpnnModel	stepped;
	const double *sums;
	Size		n;
	Size		w;

	/*
	 * Not STRICT since 0.4.0: bpnn_gradient over no rows is NULL, and a NULL
	 * result would replace the model in a training loop
	 */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", PG_ARGISNULL(0) ? "model" : "learning_rate")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the gradient is NULL"),
				 errdetail("bpnn_gradient is NULL when it aggregates no rows."),
				 errhint("Check that the query computing the gradient reads rows.")));
	cm = model_from_arg(fcinfo, 0);
	s = gradient_state_compact(PG_GETARG_BPNN_STATE(1));
	rate = PG_GETARG_FLOAT8(2);
	stepped = *cm->model;
	/* a step from outside the trainer: its state no longer applies */
	memset(&stepped.state, 0, sizeof(stepped.state));
	sums = gradient_state_sums(s);
	n = nn_weight_count(&stepped.layout);

	if (!(rate > 0.0 && rate <= 1000.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("learning_rate must be greater than 0 and at most 1000")));
	if (s->model_checksum != cm->checksum || (Size) s->n_weights != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the gradient was not computed for this model"),
				 errhint("Compute it with bpnn_gradient(model, ...) of the same model.")));
	if (s->rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the gradient covers no rows")));
	stepped.weights = palloc(sizeof(float) * n);
	for (w = 0; w < n; w++)
	{
		double		moved = cm->model->weights[w] + rate * sums[w] / (double) s->rows;

		/* checked as a double: converting one beyond FLT_MAX is undefined */
		if (!(fabs(moved) <= FLT_MAX))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the step moved weight %zu out of range for float4", w + 1),
					 errhint("Lower learning_rate.")));
		stepped.weights[w] = (float) moved;
	}
	PG_RETURN_POINTER(model_encode(&stepped));
}

/* ---------- bpnn_feature_stats ---------- */

/*
 * The state and result, a float8[]: rows, skipped, then count, min, max,
 * mean and M2 of each feature (FeatureStats, see nn_normalize.h).
 */
#define STATS_HEADER 2
#define STATS_PER_FEATURE 5

/* an empty statistics array for n_features features */
static ArrayType *
stats_create(int n_features)
{
	int			n = STATS_HEADER + STATS_PER_FEATURE * n_features;
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * n;
	ArrayType  *a = palloc0(bytes);

	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	feature_stats_init((FeatureStats *) ((double *) ARR_DATA_PTR(a) + STATS_HEADER), n_features);
	return a;
}

static void bad_stats(const char *detail) pg_attribute_noreturn();

/*
 * an error: the array is not a bpnn_feature_stats state, for the reason in
 * detail
 */
static void
bad_stats(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid bpnn_feature_stats state"),
			 errdetail_internal("%s", detail)));
}

/* a count in a stats array: a whole number from 0 to 2^53 */
static bool
valid_count(double v)
{
	return v >= 0.0 && v <= 9007199254740992.0 && v == floor(v);
}

/*
 * The features of a stats array, after checking all of it: the array comes
 * from whoever calls the support functions (an INITCOND, a direct call, a
 * query result), so its shape and every count are verified before use.
 */
int
feature_stats_check(ArrayType *a)
{
	const double *v;
	int			n,
				f;

	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		bad_stats("It is not a one-dimensional float8 array without NULLs.");
	n = ARR_DIMS(a)[0] - STATS_HEADER;
	if (n < 0 || n % STATS_PER_FEATURE != 0 || n / STATS_PER_FEATURE > BPNN_MAX_UNITS)
		bad_stats("Its length is not 2 + 5 times a number of features.");
	n /= STATS_PER_FEATURE;
	v = (const double *) ARR_DATA_PTR(a);
	if (!valid_count(v[0]) || !valid_count(v[1]))
		bad_stats("Its row counts are not whole numbers from 0 to 2^53.");
	/* no features yet: only rows whose features were NULL, all skipped */
	if (n == 0 && v[0] != 0.0)
		bad_stats("It counts rows but has no features.");
	for (f = 0; f < n; f++)
	{
		const FeatureStats *st = (const FeatureStats *) (v + STATS_HEADER) + f;

		if (!valid_count(st->count) || st->count > v[0])
			bad_stats("A feature's count is not a whole number up to the rows.");
		if (st->count == 0.0 ?
			(st->min != INFINITY || st->max != -INFINITY || st->mean != 0.0 || st->m2 != 0.0) :
			!(fabs(st->min) <= FLT_MAX && fabs(st->max) <= FLT_MAX && st->min <= st->max &&
			  isfinite(st->mean) && isfinite(st->m2) && st->m2 >= 0.0))
			bad_stats("A feature's minimum, maximum, mean or M2 is inconsistent.");
	}
	return n;
}

/* one training row's values from a float8[], NaN for NULL, each checked */
double *
training_row_values(ArrayType *features, int *n, bool *has_null)
{
	Datum	   *elems;
	bool	   *nulls;
	double	   *row;
	int			f;

	if (ARR_NDIM(features) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the features must be a one-dimensional array")));
	deconstruct_array(features, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, n);
	if (*n < 1 || *n > BPNN_MAX_UNITS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the features must be an array of 1 to %d values", BPNN_MAX_UNITS)));
	row = palloc(sizeof(double) * *n);
	*has_null = false;
	for (f = 0; f < *n; f++)
	{
		if (nulls[f])
		{
			*has_null = true;
			row[f] = NAN;
			continue;
		}
		row[f] = DatumGetFloat8(elems[f]);
		if (!isfinite(row[f]) || fabs(row[f]) > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 isnan(row[f]) ? errmsg("feature %d is NaN", f + 1) :
					 isinf(row[f]) ? errmsg("feature %d is infinite", f + 1) :
					 errmsg("feature %d is out of range for training", f + 1),
					 errhint("Remove or replace the non-finite values before training.")));
	}
	pfree(elems);
	pfree(nulls);
	return row;
}

/* bpnn_feature_stats(features float8[], skip_incomplete boolean) */
Datum
bpnn_feature_stats_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "bpnn_feature_stats");
	ArrayType  *state = PG_ARGISNULL(0) ? NULL : PG_GETARG_ARRAYTYPE_P(0);
	bool		skip_incomplete = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	double	   *header;
	double	   *row;
	bool		has_null;
	int			n,
				state_n = state ? feature_stats_check(state) : 0;

	/*
	 * A NULL features array is a skipped row.  Before the first array, the
	 * state has no features (length 2: the rows, none, and the skipped);
	 * the first array gives it its features, keeping the count.
	 */
	if (PG_ARGISNULL(1))
	{
		if (state == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(aggcxt);

			state = stats_create(0);
			MemoryContextSwitchTo(old);
		}
		((double *) ARR_DATA_PTR(state))[1] += 1;
		PG_RETURN_POINTER(state);
	}
	row = training_row_values(PG_GETARG_ARRAYTYPE_P(1), &n, &has_null);
	if (state == NULL || state_n == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);
		double		skipped = state ? ((double *) ARR_DATA_PTR(state))[1] : 0.0;

		state = stats_create(n);
		((double *) ARR_DATA_PTR(state))[1] = skipped;
		MemoryContextSwitchTo(old);
	}
	else if (state_n != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every row must have %d features, not %d", state_n, n)));
	header = (double *) ARR_DATA_PTR(state);
	if (has_null && skip_incomplete)
		header[1] += 1;
	else
	{
		/* NaN (a NULL) is not counted */
		feature_stats_add((FeatureStats *) (header + STATS_HEADER), row, n);
		header[0] += 1;
	}
	pfree(row);
	PG_RETURN_POINTER(state);
}

/* strict */
Datum
bpnn_feature_stats_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "bpnn_feature_stats");
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int			n = feature_stats_check(a);
	ArrayType  *sum;
	double	   *hs,
			   *hb;
	MemoryContext old;

	/* a state without features (only skipped rows) adds its skipped count */
	if (n == 0)
	{
		ArrayType  *t = a;

		a = b;
		b = t;
		n = feature_stats_check(a);
	}
	if (feature_stats_check(b) == 0)
	{
		old = MemoryContextSwitchTo(aggcxt);
		sum = (ArrayType *) palloc(VARSIZE(a));
		memcpy(sum, a, VARSIZE(a));
		MemoryContextSwitchTo(old);
		((double *) ARR_DATA_PTR(sum))[1] += ((double *) ARR_DATA_PTR(b))[1];
		PG_RETURN_POINTER(sum);
	}
	if (feature_stats_check(b) != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every row must have %d features, not %d", n, feature_stats_check(b))));
	old = MemoryContextSwitchTo(aggcxt);
	sum = (ArrayType *) palloc(VARSIZE(a));
	memcpy(sum, a, VARSIZE(a));
	MemoryContextSwitchTo(old);
	hs = (double *) ARR_DATA_PTR(sum);
	hb = (double *) ARR_DATA_PTR(b);
	hs[0] += hb[0];
	hs[1] += hb[1];
	feature_stats_combine((FeatureStats *) (hs + STATS_HEADER),
						  (const FeatureStats *) (hb + STATS_HEADER), n);
	PG_RETURN_POINTER(sum);
}
