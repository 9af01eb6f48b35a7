/*
 * feature_stats.c — bpnn_feature_stats(features, skip_incomplete) ->
 * float8[]: combinable per-feature count, min, max, mean and M2, for the
 * scalers (the first scan of streaming training, train_stream.c), and
 * reading one training row given as a float8[] (training_row_values).
 * The statistics themselves are the kernel's (nn_normalize.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "feature_stats.h"
#include "gradient_aggregate.h"
#include "model.h"

PG_FUNCTION_INFO_V1(bpnn_feature_stats_transfn);
PG_FUNCTION_INFO_V1(bpnn_feature_stats_combinefn);

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
