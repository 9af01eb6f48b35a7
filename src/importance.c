/*
 * importance.c — bpnn_importance: which source columns a model relies on,
 * by permutation importance (Breiman 2001; scikit-learn's
 * permutation_importance): how much worse the model scores on a table when
 * one column's values are shuffled across its rows, the link between that
 * column and the label broken and everything else kept.
 *
 * One scan of the source (scan.c: as the calling user, within
 * bpnn.memory_limit, the model's columns with its categories and imputed
 * values), then for each column and each repeat an in-memory shuffle of
 * that column's inputs (a one-hot category or an array column moves as
 * one), a scoring pass (the forward pass bpnn_evaluate runs) and the
 * column put back.  The shuffles come from one generator seeded with seed,
 * so the same seed gives the same figures.  Memory: the rows (within
 * bpnn.memory_limit, or an error), a normalized copy per scoring pass (as
 * bpnn_evaluate's, also within it) and one column's values kept aside.
 *
 * The score is the accuracy for a classifier (importance: its drop) and
 * the RMSE over all outputs, in the label's units, for a regressor
 * (importance: its rise); the result's metric column says which.  stddev
 * is over the repeats, with n in the denominator, as scikit-learn's
 * importances_std.
 *
 * bpnn_progress() shows the call: reading the source, then scoring, its
 * passes (1 + columns x repeats) as epochs, with no loss.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "bpnn.h"
#include "evaluate.h"
#include "live_progress.h"
#include "regression.h"
#include "train_memory.h"

PG_FUNCTION_INFO_V1(bpnn_importance);

#define MAX_REPEATS 1000

/* one source column's figures, for sorting */
typedef struct ColumnImportance
{
	int			column;
	double		mean;
	double		stddev;
} ColumnImportance;

/*
 * by importance descending, then in column order; NaN (a model whose
 * outputs are not finite on the table) last, so that the comparison is an
 * order for qsort and such a column is never listed as the most important
 */
static int
importance_cmp(const void *a, const void *b)
{
	const ColumnImportance *x = a,
			   *y = b;

	if (isnan(x->mean) != isnan(y->mean))
		return isnan(x->mean) ? 1 : -1;
	if (x->mean != y->mean && !isnan(x->mean))
		return x->mean > y->mean ? -1 : 1;
	return x->column - y->column;
}

/*
 * The model's score on set as it is now: accuracy (actual holds each row's
 * class among the model's, -1 when unknown: always wrong) or, for a
 * regressor, RMSE.  Allocates in cxt, which it resets.
 */
static double
score(const BpnnModel *m, const TrainingSet *set, const int32 *actual, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	double		result;

	if (m->task == BPNN_TASK_REGRESSION)
	{
		RegressionMetrics r;

		regression_score(m, set, NULL, set->n_rows, &r);
		result = r.all.rmse;
	}
	else
	{
		FitData		data = {0};
		FitHooks	hooks = {0};
		int32	   *predicted = MemoryContextAllocHuge(cxt, sizeof(int32) * set->n_rows);
		int64		correct = 0,
					i;

		data.x = train_normalized_rows(m, set, NULL, set->n_rows);
		data.y = (int32 *) actual;
		data.n_rows = set->n_rows;
		train_hooks(&hooks, cxt);
		(void) fit_predict(&m->layout, m->weights, &data, &hooks, predicted);
		for (i = 0; i < set->n_rows; i++)
			correct += predicted[i] == actual[i];
		result = (double) correct / set->n_rows;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(cxt);
	return result;
}

/*
 * Shuffle inputs [first, first + width) of set->x across the rows by a
 * fresh permutation from rng, keeping the original values in saved
 */
static void
shuffle_block(TrainingSet *set, int first, int width, int64 *perm, float *saved, NnRng *rng)
{
	int			n = set->n_inputs;
	int64		i;

	for (i = 0; i < set->n_rows; i++)
	{
		perm[i] = i;
		memcpy(saved + i * width, set->x + i * n + first, sizeof(float) * width);
	}
	nn_rng_shuffle(perm, set->n_rows, rng);
	CHECK_FOR_INTERRUPTS();
	for (i = 0; i < set->n_rows; i++)
		memcpy(set->x + i * n + first, saved + perm[i] * width, sizeof(float) * width);
}

/* put a column's saved inputs back into every row of set */
static void
restore_block(TrainingSet *set, int first, int width, const float *saved)
{
	int64		i;

	for (i = 0; i < set->n_rows; i++)
		memcpy(set->x + i * set->n_inputs + first, saved + i * width, sizeof(float) * width);
}

/* permutation importance of each source column, most important first */
Datum
bpnn_importance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const BpnnModel *m = model_from_arg(fcinfo, 0)->model;
	Oid			relid = PG_GETARG_OID(1);
	char	   *label_column = text_to_cstring(PG_GETARG_TEXT_PP(2));
	int32		repeats = PG_GETARG_INT32(3);
	int64		seed = PG_GETARG_INT64(4);
	bool		regression = m->task == BPNN_TASK_REGRESSION;
	ScanSpec	spec = {0};		/* stream_over_limit false: every row, or an error */
	TrainingSet *set;
	int32	   *actual = NULL;
	int64	   *perm;
	float	   *saved;
	double	   *drops;
	double		base;
	ColumnImportance *result;
	MemoryContext score_cxt;
	NnRng		rng;
	LiveProgress *live;
	int			c,
				r,
				first,
				pass = 0,
				widest = 0;

	if (repeats < 1 || repeats > MAX_REPEATS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("repeats must be between 1 and %d", MAX_REPEATS)));
	InitMaterializedSRF(fcinfo, 0);

	spec.memory_limit = (Size) bpnn_memory_limit_kb * 1024;
	spec.impute = m->missing == BPNN_MISSING_IMPUTE;
	spec.regression = regression;
	spec.model = m;
	live = live_progress_begin(LIVE_IMPORTANCE, relid, 0, 0);
	set = scan_training_set(relid, label_column, &spec);
	if (!regression)
	{
		int32	   *class_map = map_classes(m, set);
		int64		i;

		actual = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * set->n_rows);
		for (i = 0; i < set->n_rows; i++)
			actual[i] = class_map[set->y[i]];
	}

	for (c = 0; c < set->n_columns; c++)
		widest = Max(widest, set->column_widths[c]);
	perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * set->n_rows);
	saved = MemoryContextAllocHuge(CurrentMemoryContext,
								   sizeof(float) * (Size) widest * set->n_rows);
	drops = palloc(sizeof(double) * repeats);
	result = palloc(sizeof(ColumnImportance) * set->n_columns);
	score_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn_importance scoring",
									  ALLOCSET_DEFAULT_SIZES);

	live_progress_training(live, LIVE_SCORING, set->n_rows, 1 + set->n_columns * repeats);
	base = score(m, set, actual, score_cxt);
	live_progress_epoch(live, pass++, NAN);
	nn_rng_seed_hashed(&rng, (uint64) seed);
	for (c = 0, first = 0; c < set->n_columns; first += set->column_widths[c++])
	{
		int			width = set->column_widths[c];
		double		sum = 0.0,
					squares = 0.0;

		for (r = 0; r < repeats; r++)
		{
			double		permuted;

			CHECK_FOR_INTERRUPTS();
			shuffle_block(set, first, width, perm, saved, &rng);
			permuted = score(m, set, actual, score_cxt);
			restore_block(set, first, width, saved);
			live_progress_epoch(live, pass++, NAN);
			drops[r] = regression ? permuted - base : base - permuted;
			sum += drops[r];
		}
		result[c].column = c;
		result[c].mean = sum / repeats;
		for (r = 0; r < repeats; r++)
			squares += (drops[r] - result[c].mean) * (drops[r] - result[c].mean);
		result[c].stddev = sqrt(squares / repeats);
	}
	qsort(result, set->n_columns, sizeof(ColumnImportance), importance_cmp);
	live_progress_end(live);

	for (c = 0; c < set->n_columns; c++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(set->column_names[result[c].column]);
		values[1] = Float8GetDatum(result[c].mean);
		values[2] = Float8GetDatum(result[c].stddev);
		values[3] = CStringGetTextDatum(regression ? "rmse_rise" : "accuracy_drop");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
