/*
 * parallel_train.c — bpnn_train in memory on several cores.
 *
 * The scheme is per-epoch model averaging (local SGD): the training rows
 * are dealt, in a seeded random order, into one shard per planned
 * participant (workers + the leader).  In each epoch every shard starts
 * from the shared weights and runs an ordinary epoch of mini-batches over
 * its own rows (fit_epoch: fit_step's mini-batches, with the shard's own
 * optimizer state, row order and random numbers); then the leader averages the shards' weights, in shard
 * order, into the shared weights, records the epoch and checks early
 * stopping.  The normalized rows, the weights and every shard's state live
 * in dynamic shared memory, so any participant can run any shard's epoch:
 * participants take the next untaken shard from an atomic counter.  A
 * shard's epoch depends only on the shared weights and that shard's
 * state, and the average is summed in a fixed order, so the model is the
 * same bits for a seed and a planned worker count, however many workers
 * actually started and whoever ran which shard.  Two barrier waits per
 * epoch (storage/barrier.h), not one per mini-batch: synchronous
 * data-parallel mini-batches of 32 rows would wait at a barrier every
 * few tens of microseconds.
 *
 * A regressor's standardized targets (n_rows x outputs) go to shared
 * memory beside the rows; its shards train on them as fit_epoch does.
 *
 * Zero planned workers trains exactly as before (fit_network).
 */
#include "postgres.h"

#include "access/parallel.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/barrier.h"
#include "storage/shm_toc.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "bpnn.h"
#include "parallel.h"

#define PT_KEY_SHARED	UINT64CONST(0xB9A17EA100000001)
#define PT_KEY_X		UINT64CONST(0xB9A17EA100000002)
#define PT_KEY_Y		UINT64CONST(0xB9A17EA100000003)
#define PT_KEY_ORDER	UINT64CONST(0xB9A17EA100000004)
#define PT_KEY_WEIGHTS	UINT64CONST(0xB9A17EA100000005)
#define PT_KEY_CLASS_W	UINT64CONST(0xB9A17EA100000006)
#define PT_KEY_T		UINT64CONST(0xB9A17EA100000007)

/* fewest rows per shard: an average of tiny shards is not worth a process */
#define MIN_SHARD_ROWS 256

/* a shard's state besides its weights and optimizer arrays */
typedef struct ShardInfo
{
	int64		first;			/* its rows: order[first .. first + n_rows) */
	int64		n_rows;
	long		step;			/* Adam's update count */
	NnRng		rng;			/* its row shuffling */
	double		loss;			/* summed over its rows in the latest epoch */
} ShardInfo;

typedef struct TrainShared
{
	Barrier		barrier;		/* even phases: shards train; odd: the leader averages */
	pg_atomic_uint32 next_shard;
	bool		finished;		/* set by the leader in an odd phase */
	int			n_shards;
	NnLayout	layout;
	FitOptions	options;		/* class_weight: NULL, see has_class_weight */
	bool		has_class_weight;	/* PT_KEY_CLASS_W holds them */
	bool		has_targets;	/* regression: PT_KEY_T holds the targets */
	int			n_classes;
	int64		n_rows;
	Size		n_weights;
	ShardInfo	shards[FLEXIBLE_ARRAY_MEMBER];
} TrainShared;

/*
 * The weight arrays in shared memory: the shared weights, then each
 * shard's weights, first and second optimizer state
 */
#define SHARED_WEIGHTS(w, sh) (w)
#define SHARD_WEIGHTS(w, sh, j) ((w) + (Size) (1 + (j)) * (sh)->n_weights)
#define SHARD_STATE1(w, sh, j) ((w) + (Size) (1 + (sh)->n_shards + (j)) * (sh)->n_weights)
#define SHARD_STATE2(w, sh, j) ((w) + (Size) (1 + 2 * (sh)->n_shards + (j)) * (sh)->n_weights)
#define WEIGHT_ARRAYS(shards) (1 + 3 * (Size) (shards))

/* what a participant holds in its own memory */
typedef struct Participant
{
	TrainShared *shared;
	FitData		data;			/* rows in shared memory; n_rows set per shard */
	float	   *weights;		/* the weight arrays in shared memory */
	uint32_t   *order;
	FitOptions	options;
	FitStepper	stepper;		/* its scratch; state1/state2/step: the shard's */
	FitHooks	hooks;
	/* the leader's alone */
	bool		leader;
	FitScratch	scratch;		/* scoring */
	const FitData *validation;
	float	   *best;
	FitResult  *result;
	int			epoch;
} Participant;

PGDLLEXPORT void bpnn_train_worker_main(dsm_segment *seg, shm_toc *toc);

/* one epoch of shard j, from the shared weights */
static void
run_shard(Participant *p, int j)
{
	TrainShared *sh = p->shared;
	ShardInfo  *info = &sh->shards[j];
	FitStepper *st = &p->stepper;
	float	   *weights = SHARD_WEIGHTS(p->weights, sh, j);
	FitData		data = p->data;

	memcpy(weights, SHARED_WEIGHTS(p->weights, sh), sizeof(float) * sh->n_weights);
	st->state1 = SHARD_STATE1(p->weights, sh, j);
	st->state2 = sh->options.optimizer == FIT_ADAM ? SHARD_STATE2(p->weights, sh, j) : NULL;
	st->step = info->step;
	data.n_rows = info->n_rows;
	info->loss = fit_epoch(st, weights, &p->options, &data, p->order + info->first,
						   &info->rng, &p->hooks);
	info->step = st->step;
}

/* the leader, between epochs: the average, the epoch's record, early stopping */
static void
average_shards(Participant *p)
{
	TrainShared *sh = p->shared;
	float	   *avg = SHARED_WEIGHTS(p->weights, sh);
	double		loss = 0.0;
	Size		i;
	int			j;

	for (i = 0; i < sh->n_weights; i++)
	{
		double		sum = 0.0;

		for (j = 0; j < sh->n_shards; j++)
			sum += SHARD_WEIGHTS(p->weights, sh, j)[i];
		avg[i] = (float) (sum / sh->n_shards);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (j = 0; j < sh->n_shards; j++)
		loss += sh->shards[j].loss;
	if (!fit_epoch_done(&sh->layout, &p->options, avg, p->epoch, loss / (double) sh->n_rows,
						p->validation, p->best, &p->hooks, &p->scratch, p->result) ||
		p->epoch + 1 >= sh->options.epochs)
		sh->finished = true;
	p->epoch++;
	pg_atomic_write_u32(&sh->next_shard, 0);
}

/*
 * Take part until training is finished.  A worker that starts late joins
 * at whatever phase the others have reached.
 */
static void
participate(Participant *p)
{
	TrainShared *sh = p->shared;
	int			phase = BarrierAttach(&sh->barrier);

	for (;; phase++)
	{
		if (phase % 2 == 0)
		{
			uint32		j;

			if (sh->finished)
				break;
			while ((j = pg_atomic_fetch_add_u32(&sh->next_shard, 1)) < (uint32) sh->n_shards)
				run_shard(p, (int) j);
		}
		else if (p->leader)
			average_shards(p);
		BarrierArriveAndWait(&sh->barrier, PG_WAIT_EXTENSION);
	}
	BarrierDetach(&sh->barrier);
}

/* split the rows into shards, in a seeded random order */
static void
deal_shards(TrainShared *sh, uint32_t *order, uint64 seed)
{
	NnRng		rng = {0};
	int64		i;
	int			j;

	for (i = 0; i < sh->n_rows; i++)
		order[i] = (uint32_t) i;
	nn_rng_seed(&rng, seed ^ UINT64CONST(0x5A4D5EED));
	fit_shuffle(order, sh->n_rows, &rng);
	for (j = 0; j < sh->n_shards; j++)
	{
		ShardInfo  *info = &sh->shards[j];

		info->first = sh->n_rows * j / sh->n_shards;
		info->n_rows = sh->n_rows * (j + 1) / sh->n_shards - info->first;
		info->step = 0;
		nn_rng_seed(&info->rng, seed ^ (UINT64CONST(0x9E3779B97F4A7C15) * (uint64) (j + 1)));
	}
}

/*
 * fit_network on several cores, or alone when no worker is planned; the
 * planned workers
 */
int
parallel_fit_network(const NnLayout *layout, float *weights, const FitOptions *options,
					 const FitData *data, const FitData *validation, int n_classes,
					 const FitHooks *hooks, FitResult *result)
{
	Size		n_weights = nn_weight_count(layout);
	Size		x_bytes = sizeof(float) * (Size) layout->sizes[0] * data->n_rows;
	Size		y_bytes = sizeof(int32) * (Size) data->n_rows;
	Size		order_bytes = sizeof(uint32_t) * (Size) data->n_rows;
	Size		t_bytes = data->t ?
		sizeof(float) * (Size) layout->sizes[layout->n_layers] * data->n_rows : 0;
	int64		batch = options->batch_size > 0 ? options->batch_size : 1;
	/* per participant (the leader's share): gradient, best and final weights, 2 workspaces */
	int			nworkers = parallel_plan_workers(data->n_rows / Max(MIN_SHARD_ROWS, 2 * batch),
												 sizeof(float) * 3 * n_weights +
												 sizeof(float) * 2 * nn_workspace_floats(layout, FIT_CHUNK_ROWS),
												 x_bytes * 2 + y_bytes + t_bytes + order_bytes +
												 sizeof(float) * n_weights);
	int			n_shards = nworkers + 1;
	Size		shared_bytes,
				weight_bytes;
	ParallelContext *pcxt;
	TrainShared *sh;
	Participant p;
	NnRng		rng = {0};
	void	   *chunk;

	if (nworkers == 0)
	{
		fit_network(layout, weights, options, data, validation, hooks, NULL, result);
		return 0;
	}

	shared_bytes = add_size(offsetof(TrainShared, shards), mul_size(sizeof(ShardInfo), n_shards));
	weight_bytes = mul_size(sizeof(float) * n_weights, WEIGHT_ARRAYS(n_shards));
	pcxt = parallel_begin("bpnn_train_worker_main", nworkers);
	shm_toc_estimate_chunk(&pcxt->estimator, shared_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, x_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, y_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, order_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, weight_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, sizeof(float) * n_classes);
	if (data->t)
		shm_toc_estimate_chunk(&pcxt->estimator, t_bytes);
	shm_toc_estimate_keys(&pcxt->estimator, data->t ? 7 : 6);
	InitializeParallelDSM(pcxt);

	sh = shm_toc_allocate(pcxt->toc, shared_bytes);
	memset(sh, 0, shared_bytes);
	BarrierInit(&sh->barrier, 0);
	pg_atomic_init_u32(&sh->next_shard, 0);
	sh->finished = false;
	sh->n_shards = n_shards;
	sh->layout = *layout;
	sh->options = *options;
	sh->options.class_weight = NULL;
	sh->has_class_weight = options->class_weight != NULL;
	sh->has_targets = data->t != NULL;
	sh->n_classes = n_classes;
	sh->n_rows = data->n_rows;
	sh->n_weights = n_weights;
	shm_toc_insert(pcxt->toc, PT_KEY_SHARED, sh);

	memset(&p, 0, sizeof(p));
	p.shared = sh;
	p.data.x = chunk = shm_toc_allocate(pcxt->toc, x_bytes);
	memcpy(chunk, data->x, x_bytes);
	shm_toc_insert(pcxt->toc, PT_KEY_X, chunk);
	p.data.y = chunk = shm_toc_allocate(pcxt->toc, y_bytes);
	memcpy(chunk, data->y, y_bytes);
	shm_toc_insert(pcxt->toc, PT_KEY_Y, chunk);
	if (data->t)
	{
		p.data.t = chunk = shm_toc_allocate(pcxt->toc, t_bytes);
		memcpy(chunk, data->t, t_bytes);
		shm_toc_insert(pcxt->toc, PT_KEY_T, chunk);
	}
	p.order = shm_toc_allocate(pcxt->toc, order_bytes);
	deal_shards(sh, p.order, options->seed);
	shm_toc_insert(pcxt->toc, PT_KEY_ORDER, p.order);
	p.weights = shm_toc_allocate(pcxt->toc, weight_bytes);
	memset(p.weights, 0, weight_bytes);
	/* the same initial weights as training in one process */
	nn_rng_seed(&rng, options->seed);
	nn_init_weights(layout, SHARED_WEIGHTS(p.weights, sh), options->init_range, &rng);
	shm_toc_insert(pcxt->toc, PT_KEY_WEIGHTS, p.weights);
	chunk = shm_toc_allocate(pcxt->toc, sizeof(float) * n_classes);
	if (options->class_weight)
		memcpy(chunk, options->class_weight, sizeof(float) * n_classes);
	shm_toc_insert(pcxt->toc, PT_KEY_CLASS_W, chunk);

	p.options = *options;
	p.hooks = *hooks;
	fit_stepper_init(&p.stepper, layout, hooks);
	fit_scratch_init(&p.scratch, layout, hooks);
	p.leader = true;
	p.validation = validation;
	p.best = validation ? hooks->alloc(hooks->arg, sizeof(float) * n_weights) : NULL;
	p.result = result;
	fit_result_init(result, options, hooks);

	parallel_launch(pcxt);
	participate(&p);
	parallel_wait(pcxt);

	memcpy(weights, SHARED_WEIGHTS(p.weights, sh), sizeof(float) * n_weights);
	parallel_end(pcxt);
	fit_finish(layout, weights, data, p.best, hooks, &p.scratch, result);
	return nworkers;
}

/* a parallel worker: shards until training is finished */
void
bpnn_train_worker_main(dsm_segment *seg, shm_toc *toc)
{
	Participant p;
	float	   *class_weight;

	memset(&p, 0, sizeof(p));
	p.shared = shm_toc_lookup(toc, PT_KEY_SHARED, false);
	p.data.x = shm_toc_lookup(toc, PT_KEY_X, false);
	p.data.y = shm_toc_lookup(toc, PT_KEY_Y, false);
	p.data.t = p.shared->has_targets ? shm_toc_lookup(toc, PT_KEY_T, false) : NULL;
	p.order = shm_toc_lookup(toc, PT_KEY_ORDER, false);
	p.weights = shm_toc_lookup(toc, PT_KEY_WEIGHTS, false);
	class_weight = shm_toc_lookup(toc, PT_KEY_CLASS_W, false);
	p.options = p.shared->options;
	p.options.class_weight = p.shared->has_class_weight ? class_weight : NULL;
	train_hooks(&p.hooks, CurrentMemoryContext);
	fit_stepper_init(&p.stepper, &p.shared->layout, &p.hooks);
	p.leader = false;
	participate(&p);
}
