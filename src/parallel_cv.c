/*
 * parallel_cv.c — the folds of bpnn_cross_validate, each trained and
 * tested on its own, in parallel workers when bpnn.max_parallel_workers
 * allows.  The raw rows, their classes and fold numbers go to dynamic
 * shared memory once; every participant (the leader too) takes the next
 * untaken fold from an atomic counter (a regressor's targets are shared
 * too), trains it exactly as the serial
 * loop would (train_model normalizes each fold on its own training rows)
 * and writes its figures into the fold's slot.  Folds share nothing, so
 * the figures are the same bits whoever runs them, in whatever order.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "port/atomics.h"
#include "storage/shm_toc.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "parallel.h"
#include "regression.h"

/* keys in the shared table of contents */
#define CV_KEY_SHARED	UINT64CONST(0xB9A1C0DE00000001)
#define CV_KEY_X		UINT64CONST(0xB9A1C0DE00000002)
#define CV_KEY_Y		UINT64CONST(0xB9A1C0DE00000003)
#define CV_KEY_FOLDS	UINT64CONST(0xB9A1C0DE00000004)
#define CV_KEY_TEXT		UINT64CONST(0xB9A1C0DE00000005)
#define CV_KEY_TARGET	UINT64CONST(0xB9A1C0DE00000006)

typedef struct CvShared
{
	pg_atomic_uint32 next_fold;
	int			folds;
	int64		n_rows;
	int64		rows_skipped;
	int			n_inputs;
	int			n_columns;
	int			n_classes;
	bool		regression;		/* CV_KEY_TARGET holds the targets */
	TrainArgs	args;			/* its pointers are cleared: see CV_KEY_TEXT */
	Oid			source;			/* for the workers' live progress */
	int			leader_pid;
	Size		text_bytes;
	CvFoldResult results[FLEXIBLE_ARRAY_MEMBER];
} CvShared;

PGDLLEXPORT void bpnn_cv_worker_main(dsm_segment *seg, shm_toc *toc);

/* train on every fold but k and score fold k, in the current memory context */
void
parallel_cv_run_fold(const TrainArgs *args, const TrainingSet *set, const int *fold_of,
					 int k, CvFoldResult *result)
{
	int64	   *train_rows,
			   *test_rows;
	int64		n_train = 0,
				n_test = 0,
				i,
				correct = 0;
	BpnnModel  *model;
	FitData		test = {0};
	FitHooks	hooks = {0};
	int32	   *predicted;
	double		loss;
	instr_time	start,
				elapsed;

	INSTR_TIME_SET_CURRENT(start);
	train_rows = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * set->n_rows);
	test_rows = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * set->n_rows);
	for (i = 0; i < set->n_rows; i++)
	{
		if (fold_of[i] == k)
			test_rows[n_test++] = i;
		else
			train_rows[n_train++] = i;
	}
	model = train_model(args, (TrainingSet *) set, train_rows, n_train);
	live_progress_phase(args->live, LIVE_SCORING);
	if (set->regression)
	{
		RegressionMetrics metrics;

		regression_score(model, set, test_rows, n_test, &metrics);
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		result->n_train = n_train;
		result->n_test = n_test;
		result->regression = true;
		result->accuracy = 0.0;
		result->loss = metrics.all.mse;
		result->rmse = metrics.all.rmse;
		result->r2 = metrics.all.r2;
		result->seconds = INSTR_TIME_GET_DOUBLE(elapsed);
		return;
	}

	test.x = train_normalized_rows(model, set, test_rows, n_test);
	test.y = palloc(sizeof(int32) * n_test);
	for (i = 0; i < n_test; i++)
		((int32 *) test.y)[i] = set->y[test_rows[i]];
	test.n_rows = n_test;
	predicted = palloc(sizeof(int32) * n_test);
	train_hooks(&hooks, CurrentMemoryContext);
	loss = fit_predict(&model->layout, model->weights, &test, &hooks, predicted);
	for (i = 0; i < n_test; i++)
		correct += predicted[i] == test.y[i];
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);

	result->n_train = n_train;
	result->n_test = n_test;
	result->regression = false;
	result->rmse = result->r2 = 0.0;
	result->accuracy = (double) correct / n_test;
	result->loss = loss / n_test;
	result->seconds = INSTR_TIME_GET_DOUBLE(elapsed);
}

/* take untaken folds until none is left; each in a memory context reset after it */
static void
cv_participate(CvShared *shared, const TrainArgs *args, const TrainingSet *set,
			   const int *fold_of)
{
	MemoryContext fold_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn fold",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(fold_cxt);

	for (;;)
	{
		uint32		k = pg_atomic_fetch_add_u32(&shared->next_fold, 1);

		if (k >= (uint32) shared->folds)
			break;
		live_progress_fold(args->live, (int) k, 0);
		parallel_cv_run_fold(args, set, fold_of, (int) k, &shared->results[k]);
		MemoryContextReset(fold_cxt);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(fold_cxt);
}

/* the strings and small arrays of args and set, flat */
static void
put_string(StringInfo buf, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	appendBinaryStringInfo(buf, (char *) &len, sizeof(len));
	if (s)
		appendBinaryStringInfo(buf, s, len);
}

/* the next string flatten_text wrote, advancing *p */
static char *
get_string(const char **p)
{
	int32		len;
	char	   *s;

	memcpy(&len, *p, sizeof(len));
	*p += sizeof(len);
	if (len < 0)
		return NULL;
	s = pnstrdup(*p, len);
	*p += len;
	return s;
}

/* the strings of the arguments and the set, for the workers' shared memory */
static void
flatten_text(StringInfo buf, const TrainArgs *args, const TrainingSet *set)
{
	int			i;

	put_string(buf, args->label_column);
	put_string(buf, args->class_weights);
	put_string(buf, set->source_name);
	for (i = 0; i < set->n_classes; i++)
		put_string(buf, set->class_names[i]);
	appendBinaryStringInfo(buf, (char *) set->column_widths, sizeof(int32) * set->n_columns);
	appendBinaryStringInfo(buf, (char *) set->column_kinds, sizeof(uint8) * set->n_columns);
}

/* read back what flatten_text wrote */
static void
unflatten_text(const char *p, TrainArgs *args, TrainingSet *set)
{
	int			i;

	args->label_column = get_string(&p);
	args->class_weights = get_string(&p);
	set->source_name = get_string(&p);
	set->class_names = palloc(sizeof(char *) * set->n_classes);
	for (i = 0; i < set->n_classes; i++)
		set->class_names[i] = get_string(&p);
	set->column_widths = palloc(sizeof(int32) * set->n_columns);
	memcpy(set->column_widths, p, sizeof(int32) * set->n_columns);
	p += sizeof(int32) * set->n_columns;
	set->column_kinds = palloc(sizeof(uint8) * set->n_columns);
	memcpy(set->column_kinds, p, sizeof(uint8) * set->n_columns);
}

/* every fold of a cross-validation, in parallel workers where planned */
void
parallel_cv_run_folds(const TrainArgs *args, TrainingSet *set, const int *fold_of,
					  int folds, CvFoldResult *results)
{
	Size		x_bytes = sizeof(float) * (Size) set->n_inputs * set->n_rows;
	Size		y_bytes = sizeof(int32) * (Size) set->n_rows;
	Size		folds_bytes = sizeof(int) * (Size) set->n_rows;
	Size		target_bytes = set->regression ?
		sizeof(double) * (Size) set->n_classes * set->n_rows : 0;
	Size		shared_bytes = add_size(offsetof(CvShared, results),
										mul_size(sizeof(CvFoldResult), folds));
	int			nworkers = parallel_plan_workers(folds, x_bytes, x_bytes + target_bytes);
	ParallelContext *pcxt;
	StringInfoData text;
	CvShared   *shared;
	float	   *x;
	int32	   *y;
	int		   *fold_copy;
	char	   *text_copy;
	int			k;

	if (nworkers == 0)
	{
		MemoryContext fold_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn fold",
													   ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(fold_cxt);

		for (k = 0; k < folds; k++)
		{
			live_progress_fold(args->live, k, folds - k - 1);
			parallel_cv_run_fold(args, set, fold_of, k, &results[k]);
			MemoryContextReset(fold_cxt);
		}
		MemoryContextSwitchTo(old);
		MemoryContextDelete(fold_cxt);
		return;
	}

	initStringInfo(&text);
	flatten_text(&text, args, set);

	pcxt = parallel_begin("bpnn_cv_worker_main", nworkers);
	shm_toc_estimate_chunk(&pcxt->estimator, shared_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, x_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, y_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, folds_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, text.len);
	if (set->regression)
		shm_toc_estimate_chunk(&pcxt->estimator, target_bytes);
	shm_toc_estimate_keys(&pcxt->estimator, set->regression ? 6 : 5);
	InitializeParallelDSM(pcxt);

	shared = shm_toc_allocate(pcxt->toc, shared_bytes);
	memset(shared, 0, shared_bytes);
	pg_atomic_init_u32(&shared->next_fold, 0);
	shared->folds = folds;
	shared->n_rows = set->n_rows;
	shared->rows_skipped = set->rows_skipped;
	shared->n_inputs = set->n_inputs;
	shared->n_columns = set->n_columns;
	shared->n_classes = set->n_classes;
	shared->regression = set->regression;
	shared->args = *args;
	shared->args.source = InvalidOid;
	shared->args.live = NULL;
	shared->source = args->source;
	shared->leader_pid = MyProcPid;
	shared->args.label_column = NULL;
	shared->args.features = NULL;
	shared->args.exclude = NULL;
	shared->args.class_weights = NULL;
	shared->text_bytes = text.len;
	shm_toc_insert(pcxt->toc, CV_KEY_SHARED, shared);

	/* the rows move to shared memory: the leader keeps no second copy */
	x = shm_toc_allocate(pcxt->toc, x_bytes);
	memcpy(x, set->x, x_bytes);
	pfree(set->x);
	set->x = x;
	shm_toc_insert(pcxt->toc, CV_KEY_X, x);
	y = shm_toc_allocate(pcxt->toc, y_bytes);
	memcpy(y, set->y, y_bytes);
	shm_toc_insert(pcxt->toc, CV_KEY_Y, y);
	fold_copy = shm_toc_allocate(pcxt->toc, folds_bytes);
	memcpy(fold_copy, fold_of, folds_bytes);
	shm_toc_insert(pcxt->toc, CV_KEY_FOLDS, fold_copy);
	text_copy = shm_toc_allocate(pcxt->toc, text.len);
	memcpy(text_copy, text.data, text.len);
	shm_toc_insert(pcxt->toc, CV_KEY_TEXT, text_copy);
	if (set->regression)
	{
		double	   *target = shm_toc_allocate(pcxt->toc, target_bytes);

		memcpy(target, set->target, target_bytes);
		shm_toc_insert(pcxt->toc, CV_KEY_TARGET, target);
	}

	parallel_launch(pcxt);
	cv_participate(shared, args, set, fold_copy);
	parallel_wait(pcxt);
	memcpy(results, shared->results, sizeof(CvFoldResult) * folds);
	set->x = NULL;				/* it was in shared memory */
	parallel_end(pcxt);
}

/* a parallel worker: the shared rows and arguments, then folds until none is left */
void
bpnn_cv_worker_main(dsm_segment *seg, shm_toc *toc)
{
	CvShared   *shared = shm_toc_lookup(toc, CV_KEY_SHARED, false);
	TrainArgs	args = shared->args;
	TrainingSet set;

	memset(&set, 0, sizeof(set));
	set.n_rows = shared->n_rows;
	set.rows_skipped = shared->rows_skipped;
	set.n_inputs = shared->n_inputs;
	set.n_columns = shared->n_columns;
	set.n_classes = shared->n_classes;
	set.x = shm_toc_lookup(toc, CV_KEY_X, false);
	set.y = shm_toc_lookup(toc, CV_KEY_Y, false);
	set.regression = shared->regression;
	set.target = shared->regression ? shm_toc_lookup(toc, CV_KEY_TARGET, false) : NULL;
	unflatten_text(shm_toc_lookup(toc, CV_KEY_TEXT, false), &args, &set);
	/* each worker publishes the fold it trains, under its own pid */
	args.live = live_progress_begin(LIVE_CROSS_VALIDATE, shared->source, shared->folds,
									shared->leader_pid);
	cv_participate(shared, &args, &set, shm_toc_lookup(toc, CV_KEY_FOLDS, false));
	live_progress_end(args.live);
}
