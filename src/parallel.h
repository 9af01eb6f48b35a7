/*
 * parallel.h — training on several cores the PostgreSQL way: a
 * ParallelContext whose workers share the training rows in dynamic shared
 * memory.  parallel.c plans how many workers to use (bpnn.max_parallel_workers);
 * parallel_cv.c runs cross-validation folds in workers; parallel_train.c
 * trains one network with each mini-batch's gradient summed in slices by
 * all participants (synchronous data-parallel training).
 */
#ifndef BPNN_PARALLEL_H
#define BPNN_PARALLEL_H

#include "access/parallel.h"

#include "nn_fit.h"
#include "scan.h"
#include "train_memory.h"

/* bpnn.max_parallel_workers: -1 follows max_parallel_maintenance_workers */
extern int	bpnn_max_parallel_workers;

/*
 * bpnn.parallel_training: whether bpnn_train in memory trains on several
 * cores (synchronous data-parallel mini-batches: the serial model up to the
 * order of float32 sums); cross-validation's folds, which give the same
 * figures either way, use workers whatever it says
 */
extern bool bpnn_parallel_training;

/*
 * How many workers (besides the leader) to plan for units of work that
 * cannot be split further, each participant needing per_participant bytes
 * of its own within bpnn.memory_limit beside shared_bytes in shared memory.
 * The plan depends only on the settings and these sizes, never on how many
 * background workers are free, so a result that depends on it repeats.
 */
extern int	parallel_plan_workers(int64 units, Size per_participant, Size shared_bytes);

/* begin a ParallelContext for worker_main in this library, in parallel mode */
extern ParallelContext *parallel_begin(const char *worker_main, int nworkers);

/* launch its workers; the leader then participates (returns the number launched) */
extern int	parallel_launch(ParallelContext *pcxt);

/* wait for the workers to finish (their errors are rethrown here) */
extern void parallel_wait(ParallelContext *pcxt);

/* free the context and its shared memory, and leave parallel mode */
extern void parallel_end(ParallelContext *pcxt);

/*
 * fit_network on several cores (each mini-batch's gradient summed in one
 * slice per planned participant, then one update: see parallel_train.c),
 * or fit_network itself when no worker is planned (the batch is too small
 * for the cost rule, or the settings allow none).  With resume (a warm
 * start), it goes on from the caller's weights as fit_network does; result
 * holds the trainer's state (one optimizer, the leader's) either way.
 * Returns the planned number of workers, on which the weights' last bits
 * depend.
 */
extern int	parallel_fit_network(const NnLayout *layout, float *weights,
								 const FitOptions *options, const FitData *data,
								 const FitData *validation, int n_classes,
								 const FitHooks *hooks, const FitResume *resume,
								 FitResult *result);

/* one fold of bpnn_cross_validate */
typedef struct CvFoldResult
{
	int64		n_train;
	int64		n_test;
	double		accuracy;		/* classification only */
	double		loss;			/* mean per test row; regression: the mean
								 * squared error in the label's units */
	double		seconds;
	bool		regression;
	double		rmse;			/* regression only */
	double		r2;				/* regression only; NaN: constant labels */
} CvFoldResult;

/*
 * Train and test every fold (fold_of[row] in [0, folds)), in workers where
 * the plan allows; results[k] gets fold k's figures, the same bits however
 * many workers ran.  May move set->x into shared memory.
 */
extern void parallel_cv_run_folds(const TrainArgs *args, TrainingSet *set, const int *fold_of,
								  int folds, CvFoldResult *results);

/* the most folds a cross-validation takes */
#define CV_MAX_FOLDS 1000

/*
 * Each row's fold in [0, folds): stratified (each class dealt round-robin
 * over the folds, in an order shuffled from seed); regression rows all
 * have class 0, so the folds are a seeded shuffle.
 */
extern int *cv_assign_folds(const TrainingSet *set, int folds, uint64 seed);

/* an error unless every fold has at least two rows to be scored on */
extern void cv_check_fold_sizes(const int *fold_of, int64 n_rows, int folds);

/* fold k alone, in the current memory context */
extern void parallel_cv_run_fold(const TrainArgs *args, const TrainingSet *set, const int *fold_of,
								 int k, CvFoldResult *result);

#endif							/* BPNN_PARALLEL_H */
