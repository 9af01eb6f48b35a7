/*
 * nn_fit.h — the training loop of bpnn: epochs, batches, seeded shuffling,
 * gradient accumulation in bounded chunks, and the final scoring pass.
 *
 * Plain C, no PostgreSQL headers: the server (src/train_memory.c) and the
 * benchmarks under test/ drive the same loop.  The caller supplies an
 * allocator and a hook that runs between chunks, where the server checks
 * for interrupts (the hook may longjmp out; nothing here needs cleanup
 * beyond what the allocator hands out).
 */
#ifndef BPNN_NN_FIT_H
#define BPNN_NN_FIT_H

#include <stdbool.h>

#include "nn.h"

/* rows pushed through the network at once; bounds the scratch memory */
#define FIT_CHUNK_ROWS 256

/* values are stored in models: never renumber */
typedef enum FitOptimizer
{
	FIT_MOMENTUM = 0,			/* the rule of Jiang 2020 (nn_update) */
	FIT_ADAM = 1
} FitOptimizer;

#define FIT_OPTIMIZER_COUNT 2

typedef struct FitOptions
{
	int			epochs;
	double		learning_rate;
	double		momentum;
	int			batch_size;		/* 0 = whole data set (Jiang 2020), 1 = online */
	double		init_range;
	uint64_t	seed;
	FitOptimizer optimizer;
	double		weight_decay;	/* L2 */
	const float *class_weight;	/* per class; NULL = all 1 */
	int			patience;		/* early stopping: epochs without a better
								 * validation loss before stopping */
} FitOptions;

extern const char *fit_optimizer_name(FitOptimizer optimizer);
extern int	fit_optimizer_from_name(const char *name);	/* -1 if unknown */

typedef struct FitData
{
	const float *x;				/* n_rows x n_inputs, already normalized */
	const int32_t *y;			/* class ids in [0, n_classes) */
	int64_t		n_rows;
	const float *t;				/* regression: n_rows x outputs targets (y
								 * unused); NULL: classification */
} FitData;

typedef struct FitHooks
{
	void	   *(*alloc) (void *arg, size_t bytes); /* zeroed memory, never NULL */
	void		(*between_chunks) (void *arg);	/* may be NULL */
	void		(*after_epoch) (void *arg, int epoch, double mean_loss);	/* may be NULL */
	void	   *arg;			/* for alloc and between_chunks */
	void	   *after_epoch_arg;
} FitHooks;

/*
 * Where continued training (a warm start) picks up: the network's weights
 * are the caller's, and these the rest of the trainer's state.  The shuffle
 * order and the generator are not stored: fit_network replays them from
 * the seed (epochs_done shuffles of the same number of rows), which costs
 * one random number per row and epoch.
 */
typedef struct FitResume
{
	int			epochs_done;	/* epochs already run; options->epochs counts
								 * them too */
	const double *epoch_loss;	/* their mean losses */
	long		step;			/* Adam updates taken */
	const float *state1;		/* the optimizer's state, or NULL: fresh (zero) */
	const float *state2;		/* Adam: the second moment, or NULL */
	const float *last;			/* the weights after epoch epochs_done when
								 * early stopping kept an earlier epoch's
								 * (the caller's weights), else NULL */
	int			best_epoch;		/* early stopping: the epoch kept, 0 if none */
	double		validation_loss;	/* its validation loss */
} FitResume;

typedef struct FitResult
{
	int			epochs_run;
	double	   *epoch_loss;		/* epochs_run mean losses, from hooks->alloc */
	double		final_loss;		/* mean loss of the final weights */
	double		train_accuracy; /* of the final weights */
	int			best_epoch;		/* with validation: the epoch kept (1-based) */
	double		validation_loss;	/* with validation: its mean loss then */
	/* the trainer's state at the end, for a later warm start (fit_network) */
	long		step;			/* Adam updates taken */
	float	   *state1;			/* the optimizer's state (from hooks->alloc) */
	float	   *state2;			/* Adam only, else NULL */
	float	   *last;			/* the last epoch's weights when early stopping
								 * restored an earlier epoch's, else NULL */
} FitResult;

/*
 * Initialize weights (uniform in +-init_range from the seed) and train
 * them on data.  weights must hold nn_weight_count(layout) floats.  With
 * validation rows, training stops once the validation loss has not
 * improved for options->patience epochs, and the weights of the best epoch
 * are restored (early stopping).  With resume (a warm start), weights are
 * not initialized: training goes on from epoch resume->epochs_done + 1 to
 * options->epochs, as if the earlier epochs had been run in this call.
 */
extern void fit_network(const NnLayout *layout, float *weights,
						const FitOptions *options, const FitData *data,
						const FitData *validation, const FitHooks *hooks,
						const FitResume *resume, FitResult *result);

/*
 * One optimizer over one network, a mini-batch at a time: what fit_network
 * does per batch, for callers that bring their own rows batch by batch
 * (the training aggregate, src/sgd_aggregate.c) and for fit_epoch.  The caller owns state1
 * (momentum: the previous gradient; Adam: the first moment) and state2
 * (Adam: the second moment), n_weights floats each, zero at the start.
 */
typedef struct FitStepper
{
	const NnLayout *layout;
	size_t		n_weights;
	int			chunk;			/* rows pushed through the network at once */
	NnWorkspace ws;
	int32_t    *labels;
	float	   *targets;		/* a chunk's regression targets */
	float	   *grad;			/* zero between steps */
	float	   *state1;
	float	   *state2;			/* NULL unless Adam */
	long		step;			/* Adam updates taken so far */
} FitStepper;

/* scratch from hooks->alloc; state1 and state2 are left NULL for the caller */
extern void fit_stepper_init(FitStepper *st, const NnLayout *layout,
							 const FitHooks *hooks);

/*
 * One mini-batch step on rows first .. first + rows - 1 of data (by index
 * through order, or in order when order is NULL): forward and backward
 * passes a chunk at a time, then one update by options' optimizer.
 * Returns the batch's class-weighted loss; adds the rows the weights
 * before the step predicted correctly to *correct (when not NULL).
 */
extern double fit_step(FitStepper *st, float *weights, const FitOptions *options,
					   const FitData *data, const uint32_t *order, int64_t first,
					   int64_t rows, const FitHooks *hooks, int64_t *correct);

/*
 * fit_step's parts, for synchronous data-parallel training
 * (src/parallel_train.c), where each process sums the gradient of a slice
 * of a batch and the sums are added before one update.  fit_gradient adds
 * to grad (n_weights floats) the error products of rows first .. first +
 * rows - 1, a chunk at a time in row order (the weights do not depend on
 * the chunking), and returns their class-weighted loss; adds the rows
 * predicted correctly to *correct (when not NULL).  fit_update applies
 * options' optimizer to weights first .. first + count - 1 from grad (a
 * batch of rows rows, Adam's update number step; each weight on its own,
 * so a batch's update may be applied in stripes) and clears grad there.
 */
extern double fit_gradient(FitStepper *st, const float *weights, const FitOptions *options,
						   const FitData *data, const uint32_t *order, int64_t first,
						   int64_t rows, float *grad, const FitHooks *hooks,
						   int64_t *correct);
extern void fit_update(FitStepper *st, float *weights, const FitOptions *options,
					   float *grad, size_t first, size_t count, long step, int64_t rows);

/* a seeded Fisher-Yates shuffle of n row indexes (what every epoch does) */
extern void fit_shuffle(uint32_t *order, int64_t n, NnRng *rng);

/* scratch space for forward passes (scoring) */
typedef struct FitScratch
{
	NnWorkspace ws;
	int32_t    *labels;
	float	   *targets;		/* a chunk's regression targets */
} FitScratch;

extern void fit_scratch_init(FitScratch *s, const NnLayout *layout, const FitHooks *hooks);

/* result's epoch losses allocated, nothing run yet */
extern void fit_result_init(FitResult *result, const FitOptions *options,
							const FitHooks *hooks);

/*
 * After epoch (0-based) with its mean loss: record and report it, then
 * early stopping on validation (best: a copy of the best weights so far).
 * Returns false when training should stop.
 */
extern bool fit_epoch_done(const NnLayout *layout, const FitOptions *options,
						   const float *weights, int epoch, double mean_loss,
						   const FitData *validation, float *best,
						   const FitHooks *hooks, FitScratch *s, FitResult *result);

/*
 * A warm start (fit_network's resume, and the parallel trainer's): rng and
 * order (NULL: whole-set batches) as after resume->epochs_done epochs, the
 * optimizer's state into st, the early-stopping record (best) and losses
 * into result, and resume->last into weights
 */
extern void fit_resume(const FitResume *resume, const NnLayout *layout, float *weights,
					   const FitOptions *options, int64_t n, uint32_t *order, NnRng *rng,
					   FitStepper *st, float *best, const FitHooks *hooks, FitResult *result);

/* the trainer's state at the end (st's, not copied) into result, for keep_state */
extern void fit_keep_state(const FitStepper *st, const float *weights, const float *best,
						   const FitHooks *hooks, FitResult *result);

/* restore the best epoch's weights (best may be NULL) and score the final ones on data */
extern void fit_finish(const NnLayout *layout, float *weights, const FitData *data,
					   const float *best, const FitHooks *hooks, FitScratch *s,
					   FitResult *result);

/* mean loss and accuracy of weights over data (forward passes only) */
extern void fit_score(const NnLayout *layout, const float *weights,
					  const FitData *data, const FitHooks *hooks,
					  double *mean_loss, double *accuracy);

/*
 * The predicted class of every row of data (data->y may hold -1 for a label
 * the network does not know: always wrong); returns the summed squared error.
 */
extern double fit_predict(const NnLayout *layout, const float *weights,
						  const FitData *data, const FitHooks *hooks,
						  int32_t *predicted);

/*
 * The outputs of every row of data (n_rows x outputs, as the network gives
 * them: a regressor's standardized predictions); returns the summed loss.
 */
extern double fit_outputs(const NnLayout *layout, const float *weights,
						  const FitData *data, const FitHooks *hooks,
						  float *outputs);

#endif							/* BPNN_NN_FIT_H */
