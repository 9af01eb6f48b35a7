/*
 * evaluate.c — how good is a model: bpnn_evaluate (metrics as jsonb; a
 * regressor's from regression.c),
 * bpnn_confusion (the confusion matrix as rows, for reporting tools) and
 * bpnn_cross_validate (stratified, seeded k-fold cross-validation; for a
 * regressor all rows are one stratum, so plain seeded k-fold; the folds run
 * in parallel_cv.c).
 *
 * Scoring reads the source like training does (scan.c, as the calling
 * user), normalizes with the model's own scaler and runs the same forward
 * pass as bpnn_predict, in chunks.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "bpnn.h"
#include "model_json.h"
#include "evaluate.h"
#include "labels.h"
#include "parallel.h"
#include "regression.h"
#include "train_memory.h"

PG_FUNCTION_INFO_V1(bpnn_evaluate);
PG_FUNCTION_INFO_V1(bpnn_confusion);
PG_FUNCTION_INFO_V1(bpnn_cross_validate);


/*
 * Above this many cells (1,000 classes) bpnn_evaluate leaves the
 * confusion matrix out of its jsonb: it grows with the square of the
 * classes, and jsonb holds at most 256 MB of array elements (some 7,000
 * classes); bpnn_confusion returns it as rows.
 */
#define MAX_JSON_CELLS 1000000

/* one cell of the confusion matrix that is not zero */
typedef struct Cell
{
	int32		actual;			/* an index into actual_names */
	int32		predicted;		/* a class of the model */
	int64		count;
} Cell;

/*
 * A model's predictions on a source, as counts: the non-zero cells of the
 * matrix only (at most one per row), so that memory and time follow the
 * rows and the classes, not the square of the classes.
 */
typedef struct Scored
{
	int			n_classes;		/* the model's */
	int			n_actual;		/* the model's classes, then unknown labels */
	char	  **actual_names;
	Cell	   *cells;			/* by actual, then predicted */
	int64		n_cells;
	int64		rows;
	int64		skipped;
	int64		unknown;		/* rows whose label the model does not know */
	double		loss;			/* mean squared error per row */
} Scored;

/* the id of each of the set's classes among the model's, -1 when unknown */
int32 *
map_classes(const BpnnModel *m, const TrainingSet *set)
{
	int32	   *map = palloc(sizeof(int32) * set->n_classes);
	LabelIds   *ids = label_ids_create(model_n_classes(m));
	int			i;

	for (i = 0; i < model_n_classes(m); i++)
		label_ids_add(ids, m->class_names[i], i);
	for (i = 0; i < set->n_classes; i++)
		map[i] = label_ids_find(ids, set->class_names[i]);
	return map;
}

/*
 * The non-zero cells of the confusion matrix, in order, from each row's
 * actual and predicted index: two stable counting sorts (by predicted, then
 * by actual) and a pass that counts the runs, O(rows + classes).
 */
static void
count_cells(Scored *s, const int32 *actual, const int32 *predicted, int64 n_rows)
{
	int64	   *start_p = palloc0(sizeof(int64) * (s->n_classes + 1));
	int64	   *start_a = palloc0(sizeof(int64) * (s->n_actual + 1));
	int64	   *by_p = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(n_rows, 1));
	int64	   *order = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(n_rows, 1));
	int64		i;

	for (i = 0; i < n_rows; i++)
	{
		start_p[predicted[i] + 1]++;
		start_a[actual[i] + 1]++;
	}
	for (i = 0; i < s->n_classes; i++)
		start_p[i + 1] += start_p[i];
	for (i = 0; i < s->n_actual; i++)
		start_a[i + 1] += start_a[i];
	CHECK_FOR_INTERRUPTS();
	for (i = 0; i < n_rows; i++)
		by_p[start_p[predicted[i]]++] = i;
	for (i = 0; i < n_rows; i++)
		order[start_a[actual[by_p[i]]]++] = by_p[i];
	CHECK_FOR_INTERRUPTS();

	s->cells = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(Cell) * Max(n_rows, 1));
	s->n_cells = 0;
	for (i = 0; i < n_rows; i++)
	{
		int32		a = actual[order[i]],
					p = predicted[order[i]];
		Cell	   *last = s->n_cells > 0 ? &s->cells[s->n_cells - 1] : NULL;

		if (last != NULL && last->actual == a && last->predicted == p)
			last->count++;
		else
		{
			s->cells[s->n_cells].actual = a;
			s->cells[s->n_cells].predicted = p;
			s->cells[s->n_cells++].count = 1;
		}
	}
	pfree(by_p);
	pfree(order);
	pfree(start_p);
	pfree(start_a);
}

/*
 * score a classifier on every row of a relation: the counts of its confusion
 * matrix
 */
static void
score_source(const BpnnModel *m, Oid relid, const char *label_column, Scored *s)
{
	TrainingSet *set;
	ScanSpec	spec = {0};		/* stream_over_limit false: every row, or an error */
	int32	   *class_map,
			   *actual,
			   *unknown_index,
			   *predicted;
	FitData		data = {0};
	FitHooks	hooks = {0};
	int64		i;
	int			c;

	spec.features = NULL;
	spec.memory_limit = (Size) bpnn_memory_limit_kb * 1024;
	spec.need_two_classes = false;
	spec.impute = m->missing == BPNN_MISSING_IMPUTE;
	spec.model = m;
	set = scan_training_set(relid, label_column, &spec);

	class_map = map_classes(m, set);
	s->n_classes = model_n_classes(m);
	s->n_actual = s->n_classes;
	s->actual_names = palloc(sizeof(char *) * (s->n_classes + set->n_classes));
	memcpy(s->actual_names, m->class_names, sizeof(char *) * s->n_classes);
	unknown_index = palloc(sizeof(int32) * set->n_classes);
	for (c = 0; c < set->n_classes; c++)
	{
		unknown_index[c] = -1;
		if (class_map[c] < 0)
		{
			unknown_index[c] = s->n_actual;
			s->actual_names[s->n_actual++] = set->class_names[c];
		}
	}

	actual = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * set->n_rows);
	predicted = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * set->n_rows);
	for (i = 0; i < set->n_rows; i++)
		actual[i] = class_map[set->y[i]];
	data.x = train_normalized_rows(m, set, NULL, set->n_rows);
	data.y = actual;
	data.n_rows = set->n_rows;
	train_hooks(&hooks, CurrentMemoryContext);
	s->loss = fit_predict(&m->layout, m->weights, &data, &hooks, predicted) / set->n_rows;

	/* each row's actual index: a class of the model, or its unknown label */
	s->unknown = 0;
	for (i = 0; i < set->n_rows; i++)
		if (actual[i] < 0)
		{
			actual[i] = unknown_index[set->y[i]];
			s->unknown++;
		}
	count_cells(s, actual, predicted, set->n_rows);
	s->rows = set->n_rows;
	s->skipped = set->rows_skipped;
}

/* ", key: v": v's shortest exact decimal, null when not finite */
static void
write_number(StringInfo buf, const char *key, double v)
{
	appendStringInfoString(buf, ", ");
	model_json_append_number(buf, key, v);
}

/*
 * Call emit(a, p, count) for every cell of the confusion matrix, zeros
 * included, actual after actual: O(cells), checking for interrupts.
 */
static void
each_cell(const Scored *s, void (*emit) (void *arg, int a, int p, int64 count), void *arg)
{
	int64		next = 0;
	int			a,
				p;

	for (a = 0; a < s->n_actual; a++)
	{
		CHECK_FOR_INTERRUPTS();
		for (p = 0; p < s->n_classes; p++)
		{
			int64		count = 0;

			if (next < s->n_cells && s->cells[next].actual == a && s->cells[next].predicted == p)
				count = s->cells[next++].count;
			emit(arg, a, p, count);
		}
	}
}

/* the confusion matrix's cells as JSON rows of counts, one call per cell */
static void
write_count(void *arg, int a, int p, int64 count)
{
	StringInfo	buf = (StringInfo) arg;

	if (p == 0)
		appendStringInfoString(buf, a ? "], [" : "[");
	else
		appendStringInfoString(buf, ", ");
	appendStringInfo(buf, INT64_FORMAT, count);
}

/* a JSON array of names */
static void
write_names(StringInfo buf, char **names, int n)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoString(buf, ", ");
		escape_json(buf, names[i]);
	}
	appendStringInfoChar(buf, ']');
}

/*
 * bpnn_evaluate: accuracy and the confusion matrix (a regressor: its
 * figures) over a relation, as jsonb
 */
Datum
bpnn_evaluate(PG_FUNCTION_ARGS)
{
	const BpnnModel *m = model_from_arg(fcinfo, 0)->model;
	Scored		s = {0};
	StringInfoData buf;
	int64		correct = 0;
	int64	   *tp,
			   *support,
			   *predicted;
	double		f1_sum = 0.0;
	int			f1_count = 0;
	int64		c;
	int			p;

	if (m->task == BPNN_TASK_REGRESSION)
		return regression_evaluate(m, PG_GETARG_OID(1), text_to_cstring(PG_GETARG_TEXT_PP(2)));
	score_source(m, PG_GETARG_OID(1), text_to_cstring(PG_GETARG_TEXT_PP(2)), &s);
	/* per class: right, actually it, predicted as it; from the cells, O(cells) */
	tp = palloc0(sizeof(int64) * s.n_classes);
	support = palloc0(sizeof(int64) * s.n_classes);
	predicted = palloc0(sizeof(int64) * s.n_classes);
	for (c = 0; c < s.n_cells; c++)
	{
		const Cell *cell = &s.cells[c];

		if (cell->actual < s.n_classes)
			support[cell->actual] += cell->count;
		predicted[cell->predicted] += cell->count;
		if (cell->actual == cell->predicted)
			tp[cell->actual] += cell->count;
	}
	for (p = 0; p < s.n_classes; p++)
		correct += tp[p];

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"rows_used\": " INT64_FORMAT ", \"rows_skipped\": " INT64_FORMAT
					 ", \"unknown_labels\": " INT64_FORMAT,
					 s.rows, s.skipped, s.unknown);
	write_number(&buf, "accuracy", (double) correct / s.rows);
	write_number(&buf, "loss", s.loss);
	appendStringInfoString(&buf, ", \"classes\": [");
	for (p = 0; p < s.n_classes; p++)
	{
		double		precision,
					recall,
					f1;

		CHECK_FOR_INTERRUPTS();
		precision = predicted[p] > 0 ? (double) tp[p] / predicted[p] : 0.0;
		recall = support[p] > 0 ? (double) tp[p] / support[p] : 0.0;
		f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
		/* macro F1 over the classes that occur, as actual or predicted */
		if (support[p] > 0 || predicted[p] > 0)
		{
			f1_sum += f1;
			f1_count++;
		}
		appendStringInfoString(&buf, p ? ", {\"class\": " : "{\"class\": ");
		escape_json(&buf, m->class_names[p]);
		write_number(&buf, "precision", precision);
		write_number(&buf, "recall", recall);
		write_number(&buf, "f1", f1);
		appendStringInfo(&buf, ", \"support\": " INT64_FORMAT "}", support[p]);
	}
	appendStringInfoChar(&buf, ']');
	write_number(&buf, "macro_f1", f1_count ? f1_sum / f1_count : 0.0);
	if ((int64) s.n_actual * s.n_classes > MAX_JSON_CELLS)
	{
		ereport(NOTICE,
				(errmsg("the confusion matrix is left out: it has %d x %d cells",
						s.n_actual, s.n_classes),
				 errdetail("bpnn_evaluate includes a confusion matrix of at most %d cells.",
						   MAX_JSON_CELLS),
				 errhint("bpnn_confusion returns the matrix as rows.")));
		appendStringInfoString(&buf, ", \"confusion\": null}");
	}
	else
	{
		appendStringInfoString(&buf, ", \"confusion\": {\"actual\": ");
		write_names(&buf, s.actual_names, s.n_actual);
		appendStringInfoString(&buf, ", \"predicted\": ");
		write_names(&buf, m->class_names, s.n_classes);
		appendStringInfoString(&buf, ", \"counts\": [");
		each_cell(&s, write_count, &buf);
		appendStringInfoString(&buf, "]]}}");
	}
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

typedef struct ConfusionRows
{
	ReturnSetInfo *rsinfo;
	const Scored *s;
	char	  **predicted_names;
} ConfusionRows;

/* one cell of the confusion matrix as a row of bpnn_confusion's result */
static void
put_count(void *arg, int a, int p, int64 count)
{
	ConfusionRows *r = (ConfusionRows *) arg;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = CStringGetTextDatum(r->s->actual_names[a]);
	values[1] = CStringGetTextDatum(r->predicted_names[p]);
	values[2] = Int64GetDatum(count);
	tuplestore_putvalues(r->rsinfo->setResult, r->rsinfo->setDesc, values, nulls);
	pfree(DatumGetPointer(values[0]));
	pfree(DatumGetPointer(values[1]));
}

/*
 * bpnn_confusion: the confusion matrix over a relation, one row per (actual,
 * predicted) pair
 */
Datum
bpnn_confusion(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const BpnnModel *m = model_from_arg(fcinfo, 0)->model;
	Scored		s = {0};
	ConfusionRows r;

	model_check_task(m, BPNN_TASK_CLASSIFICATION, "bpnn_confusion");
	InitMaterializedSRF(fcinfo, 0);
	score_source(m, PG_GETARG_OID(1), text_to_cstring(PG_GETARG_TEXT_PP(2)), &s);
	r.rsinfo = rsinfo;
	r.s = &s;
	r.predicted_names = m->class_names;
	each_cell(&s, put_count, &r);
	return (Datum) 0;
}

/*
 * Stratified folds: the rows in a seeded random order, grouped by class
 * (stable), then dealt round-robin, so every fold gets each class in
 * proportion and the same seed gives the same folds.
 */
int *
cv_assign_folds(const TrainingSet *set, int folds, uint64 seed)
{
	int64		n = set->n_rows;
	int64	   *order = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * n);
	int64	   *by_class = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * n);
	int64	   *start = palloc0(sizeof(int64) * (set->n_classes + 1));
	int		   *fold_of = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int) * n);
	NnRng		rng = {0};
	int64		i;

	for (i = 0; i < n; i++)
		order[i] = i;
	nn_rng_seed(&rng, seed ^ UINT64CONST(0xF01D5EED));
	nn_rng_shuffle(order, n, &rng);
	for (i = 0; i < n; i++)
		start[set->y[i] + 1]++;
	for (i = 0; i < set->n_classes; i++)
		start[i + 1] += start[i];
	CHECK_FOR_INTERRUPTS();
	for (i = 0; i < n; i++)
		by_class[start[set->y[order[i]]]++] = order[i];
	for (i = 0; i < n; i++)
		fold_of[by_class[i]] = (int) (i % folds);
	return fold_of;
}

/*
 * Every fold is scored on at least two rows: one row's accuracy is 0 or 1,
 * a coin rather than a measurement (a fold of one row reported 0)
 */
void
cv_check_fold_sizes(const int *fold_of, int64 n_rows, int folds)
{
	int64	   *size = palloc0(sizeof(int64) * folds);
	int64		smallest;
	int64		r;
	int			k;

	for (r = 0; r < n_rows; r++)
		size[fold_of[r]]++;
	smallest = size[0];
	for (k = 1; k < folds; k++)
		smallest = Min(smallest, size[k]);
	if (smallest < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg_plural("cannot make %d folds of " INT64_FORMAT " rows: a fold would have " INT64_FORMAT " row",
							   "cannot make %d folds of " INT64_FORMAT " rows: a fold would have " INT64_FORMAT " rows",
							   smallest, folds, n_rows, smallest),
				 errdetail("Each fold is scored on its own rows, and needs at least 2."),
				 n_rows >= 4 ? errhint("Use at most " INT64_FORMAT " folds.", n_rows / 2) :
				 errhint("Cross-validation needs at least 4 rows.")));
	pfree(size);
}

/* stratified k-fold cross-validation of bpnn_train, one row per fold */
Datum
bpnn_cross_validate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TrainArgs	args = {0};
	MemoryContext cv_cxt,
				old;
	TrainingSet *set;
	int		   *fold_of;
	CvFoldResult *results;
	int			folds,
				k;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("folds must not be NULL")));
	folds = PG_GETARG_INT32(2);
	if (folds < 2 || folds > CV_MAX_FOLDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds must be between 2 and %d", CV_MAX_FOLDS)));
	train_args_read(fcinfo, 3, &args);
	InitMaterializedSRF(fcinfo, 0);
	args.live = live_progress_begin(LIVE_CROSS_VALIDATE, args.source, folds, 0);

	cv_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn cross-validation",
								   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cv_cxt);
	set = scan_training_set(args.source, args.label_column, train_scan_spec(&args));
	fold_of = cv_assign_folds(set, folds, args.fit.seed);
	cv_check_fold_sizes(fold_of, set->n_rows, folds);

	results = palloc(sizeof(CvFoldResult) * folds);
	parallel_cv_run_folds(&args, set, fold_of, folds, results);

	live_progress_end(args.live);
	MemoryContextSwitchTo(old);
	for (k = 0; k < folds; k++)
	{
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};

		values[0] = Int32GetDatum(k + 1);
		values[1] = Int64GetDatum(results[k].n_train);
		values[2] = Int64GetDatum(results[k].n_test);
		values[3] = Float8GetDatum(results[k].accuracy);
		values[4] = Float8GetDatum(results[k].loss);
		values[5] = Float8GetDatum(results[k].seconds);
		/* accuracy is a classifier's; rmse and r2 a regressor's */
		values[6] = Float8GetDatum(results[k].rmse);
		values[7] = Float8GetDatum(results[k].r2);
		nulls[3] = results[k].regression;
		nulls[6] = !results[k].regression;
		nulls[7] = !results[k].regression || isnan(results[k].r2);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(cv_cxt);
	return (Datum) 0;
}
