/*
 * nn_fit.c — the training loop of bpnn (see nn_fit.h).
 *
 * Batch learning as in Jiang 2020: the error products of every row of a
 * batch are summed, averaged, and applied in one momentum update.  A batch
 * is pushed through the network FIT_CHUNK_ROWS rows at a time so memory
 * stays bounded even when the batch is the whole table.
 */
#include "nn_fit.h"

#include <string.h>

static const char *const optimizer_names[FIT_OPTIMIZER_COUNT] = {
	"momentum", "adam"
};

/* the name of an optimizer */
const char *
fit_optimizer_name(FitOptimizer optimizer)
{
	return nn_name_of(optimizer_names, FIT_OPTIMIZER_COUNT, (int) optimizer);
}

/* the optimizer of a name, or -1 */
int
fit_optimizer_from_name(const char *name)
{
	return nn_value_of(optimizer_names, FIT_OPTIMIZER_COUNT, name);
}

/* the workspace for a chunk of rows, from hooks->alloc */
void
fit_scratch_init(FitScratch *s, const NnLayout *layout, const FitHooks *hooks)
{
	float	   *mem = hooks->alloc(hooks->arg, sizeof(float) *
								   nn_workspace_floats(layout, FIT_CHUNK_ROWS));

	nn_workspace_bind(&s->ws, layout, FIT_CHUNK_ROWS, mem);
	s->labels = hooks->alloc(hooks->arg, sizeof(int32_t) * FIT_CHUNK_ROWS);
	s->targets = hooks->alloc(hooks->arg, sizeof(float) * FIT_CHUNK_ROWS *
							  (size_t) layout->sizes[layout->n_layers]);
}

/*
 * rows ahead of the one copied whose lines are prefetched: shuffled rows
 * are apart in memory, and each row's first line would otherwise wait for
 * memory (MNIST's 10 epochs in one process: 3.05 -> 2.97 s, medians of 5)
 */
#define GATHER_AHEAD 4

/*
 * copy rows (by index, or in order when order is NULL) into the input
 * layer, with their labels, or their targets (regression: ws->target)
 */
static void
gather_into(NnWorkspace *ws, int32_t *labels, float *targets, const FitData *data,
			int n_inputs, int n_out, const uint32_t *order, int64_t first, int rows)
{
	int			i;

	ws->target = data->t ? targets : NULL;
	for (i = 0; i < rows; i++)
	{
		int64_t		r = order ? (int64_t) order[first + i] : first + i;

		if (order && i + GATHER_AHEAD < rows)
		{
			const char *ahead = (const char *) (data->x + (size_t) order[first + i + GATHER_AHEAD] *
												n_inputs);
			size_t		b;

			for (b = 0; b < sizeof(float) * n_inputs; b += 64)
				__builtin_prefetch(ahead + b);
		}

		memcpy(ws->act[0] + (size_t) i * n_inputs,
			   data->x + (size_t) r * n_inputs, sizeof(float) * n_inputs);
		if (data->t)
			memcpy(targets + (size_t) i * n_out, data->t + (size_t) r * n_out,
				   sizeof(float) * n_out);
		else
			labels[i] = data->y[r];
	}
}

/* copy rows first.. of order (a chunk) into the scratch's workspace */
static void
gather(FitScratch *s, const NnLayout *layout, const FitData *data,
	   const uint32_t *order, int64_t first, int rows)
{
	gather_into(&s->ws, s->labels, s->targets, data, layout->sizes[0],
				layout->sizes[layout->n_layers], order, first, rows);
}

/*
 * Rows per chunk: FIT_CHUNK_ROWS, fewer for large networks, so that the
 * between_chunks hook (the server's interrupt check) runs every few
 * million multiply-adds.  The gradient sums rows in the same order
 * whatever the chunking, so the weights do not depend on it.
 */
static int
chunk_rows(const NnLayout *layout)
{
	size_t		weights = nn_weight_count(layout);
	size_t		rows = weights > 0 ? ((size_t) 1 << 24) / weights : FIT_CHUNK_ROWS;

	return rows < 1 ? 1 : (rows > FIT_CHUNK_ROWS ? FIT_CHUNK_ROWS : (int) rows);
}

/* a seeded Fisher-Yates shuffle of n row indexes */
void
fit_shuffle(uint32_t *order, int64_t n, NnRng *rng)
{
	int64_t		i;

	for (i = n - 1; i > 0; i--)
	{
		int64_t		j = (int64_t) (nn_rng_uniform(rng) * (double) (i + 1));
		uint32_t	t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

/*
 * mean loss and accuracy of weights over data, a chunk at a time, in scratch
 * s
 */
static void
score_with(const NnLayout *layout, const float *weights, const FitData *data,
		   const FitHooks *hooks, FitScratch *s, double *mean_loss,
		   double *accuracy)
{
	const int	chunk = chunk_rows(layout);
	double		loss = 0.0;
	int64_t		correct = 0;
	int64_t		first;

	for (first = 0; first < data->n_rows; first += chunk)
	{
		int			rows = (int) (data->n_rows - first < chunk ?
								  data->n_rows - first : chunk);
		int			c;

		gather(s, layout, data, NULL, first, rows);
		nn_forward(layout, weights, &s->ws, rows);
		loss += nn_batch_loss(layout, &s->ws, rows, s->labels, &c);
		correct += c;
		if (hooks->between_chunks)
			hooks->between_chunks(hooks->arg);
	}
	*mean_loss = data->n_rows > 0 ? loss / (double) data->n_rows : 0.0;
	*accuracy = data->n_rows > 0 ? (double) correct / (double) data->n_rows : 0.0;
}

/* mean loss and accuracy of weights over data (forward passes only) */
void
fit_score(const NnLayout *layout, const float *weights, const FitData *data,
		  const FitHooks *hooks, double *mean_loss, double *accuracy)
{
	FitScratch	s;

	fit_scratch_init(&s, layout, hooks);
	score_with(layout, weights, data, hooks, &s, mean_loss, accuracy);
}

/*
 * Forward passes over every row of data, a chunk at a time: each chunk's
 * outputs (rows x outputs, starting at row first) go to take; returns the
 * summed loss
 */
static double
forward_chunks(const NnLayout *layout, const float *weights, const FitData *data,
			   const FitHooks *hooks,
			   void (*take) (void *arg, const float *out, int n_out, int64_t first, int rows),
			   void *arg)
{
	const int	n_out = layout->sizes[layout->n_layers];
	const int	chunk = chunk_rows(layout);
	FitScratch	s;
	double		loss = 0.0;
	int64_t		first;

	fit_scratch_init(&s, layout, hooks);
	for (first = 0; first < data->n_rows; first += chunk)
	{
		int			rows = (int) (data->n_rows - first < chunk ?
								  data->n_rows - first : chunk);
		int			correct;

		gather(&s, layout, data, NULL, first, rows);
		nn_forward(layout, weights, &s.ws, rows);
		loss += nn_batch_loss(layout, &s.ws, rows, s.labels, &correct);
		take(arg, s.ws.act[layout->n_layers], n_out, first, rows);
		if (hooks->between_chunks)
			hooks->between_chunks(hooks->arg);
	}
	return loss;
}

/* forward_chunks's sink for fit_predict: each row's predicted class */
static void
take_argmax(void *arg, const float *out, int n_out, int64_t first, int rows)
{
	int32_t    *predicted = arg;
	int			i;

	for (i = 0; i < rows; i++)
		predicted[first + i] = nn_argmax(out + (size_t) i * n_out, n_out);
}

/* forward_chunks's sink for fit_outputs: each row's outputs */
static void
take_outputs(void *arg, const float *out, int n_out, int64_t first, int rows)
{
	float	   *outputs = arg;

	memcpy(outputs + (size_t) first * n_out, out, sizeof(float) * (size_t) rows * n_out);
}

/* the predicted class of every row of data; returns the summed squared error */
double
fit_predict(const NnLayout *layout, const float *weights, const FitData *data,
			const FitHooks *hooks, int32_t *predicted)
{
	return forward_chunks(layout, weights, data, hooks, take_argmax, predicted);
}

/* the outputs of every row of data; returns the summed loss */
double
fit_outputs(const NnLayout *layout, const float *weights, const FitData *data,
			const FitHooks *hooks, float *outputs)
{
	return forward_chunks(layout, weights, data, hooks, take_outputs, outputs);
}

/* the workspace and sizes of training steps, from hooks->alloc */
void
fit_stepper_init(FitStepper *st, const NnLayout *layout, const FitHooks *hooks)
{
	st->layout = layout;
	st->n_weights = nn_weight_count(layout);
	st->chunk = chunk_rows(layout);
	nn_workspace_bind(&st->ws, layout, st->chunk,
					  hooks->alloc(hooks->arg, sizeof(float) *
								   nn_workspace_floats(layout, st->chunk)));
	st->labels = hooks->alloc(hooks->arg, sizeof(int32_t) * (size_t) st->chunk);
	st->targets = hooks->alloc(hooks->arg, sizeof(float) * (size_t) st->chunk *
							   (size_t) layout->sizes[layout->n_layers]);
	st->grad = hooks->alloc(hooks->arg, sizeof(float) * st->n_weights);
	st->state1 = NULL;
	st->state2 = NULL;
	st->step = 0;
}

/*
 * the gradient of one batch: forward and backward a chunk at a time, summed
 * into grad; returns the summed loss
 */
double
fit_gradient(FitStepper *st, const float *weights, const FitOptions *options,
			 const FitData *data, const uint32_t *order, int64_t first,
			 int64_t rows, float *grad, const FitHooks *hooks, int64_t *correct)
{
	const NnLayout *layout = st->layout;
	const int	n_inputs = layout->sizes[0];
	const int	n_out = layout->sizes[layout->n_layers];
	double		loss = 0.0;
	int64_t		done;

	for (done = 0; done < rows; done += st->chunk)
	{
		int			n = (int) (rows - done < st->chunk ? rows - done : st->chunk);
		int			i;

		gather_into(&st->ws, st->labels, st->targets, data, n_inputs, n_out, order,
					first + done, n);
		nn_forward(layout, weights, &st->ws, n);
		if (correct && !data->t)
			for (i = 0; i < n; i++)
				if (nn_argmax(st->ws.act[layout->n_layers] + (size_t) i * n_out, n_out) ==
					st->labels[i])
					(*correct)++;
		loss += nn_backward(layout, weights, &st->ws, n, st->labels,
							options->class_weight, grad);
		if (hooks->between_chunks)
			hooks->between_chunks(hooks->arg);
	}
	return loss;
}

/* the optimizer's update of weights[first, first + count) from grad, the summed gradient of rows rows */
void
fit_update(FitStepper *st, float *weights, const FitOptions *options, float *grad,
		   size_t first, size_t count, long step, int64_t rows)
{
	if (options->optimizer == FIT_ADAM)
		nn_update_adam(count, weights + first, grad + first, st->state1 + first,
					   st->state2 + first, step, 1.0 / (double) rows,
					   options->learning_rate, options->weight_decay);
	else
		nn_update(count, weights + first, grad + first, st->state1 + first,
				  1.0 / (double) rows, options->learning_rate, options->momentum,
				  options->weight_decay);
}

/* one training step on a batch: its gradient, then one update */
double
fit_step(FitStepper *st, float *weights, const FitOptions *options,
		 const FitData *data, const uint32_t *order, int64_t first,
		 int64_t rows, const FitHooks *hooks, int64_t *correct)
{
	double		loss = fit_gradient(st, weights, options, data, order, first, rows,
									st->grad, hooks, correct);

	fit_update(st, weights, options, st->grad, 0, st->n_weights,
			   options->optimizer == FIT_ADAM ? ++st->step : st->step, rows);
	return loss;
}

/*
 * One epoch over data->n_rows rows: when order is not NULL (data's rows by
 * index) and a batch is smaller than the rows, order is first shuffled
 * with rng; then mini-batches of options->batch_size, each one fit_step.
 * Returns the summed loss.
 */
static double
fit_epoch(FitStepper *st, float *weights, const FitOptions *options, const FitData *data,
		  uint32_t *order, NnRng *rng, const FitHooks *hooks)
{
	const int64_t n = data->n_rows;
	const int64_t batch = options->batch_size <= 0 || options->batch_size > n
		? n : options->batch_size;
	double		loss = 0.0;
	int64_t		start;

	/* the whole-set batch sees every row each step: order does not matter */
	if (order && batch < n)
		fit_shuffle(order, n, rng);
	for (start = 0; start < n; start += batch)
		loss += fit_step(st, weights, options, data, order, start,
						 n - start < batch ? n - start : batch, hooks, NULL);
	return loss;
}

/* result's epoch losses allocated, nothing run yet */
void
fit_result_init(FitResult *result, const FitOptions *options, const FitHooks *hooks)
{
	result->best_epoch = 0;
	result->validation_loss = 0.0;
	result->epochs_run = 0;
	result->epoch_loss = hooks->alloc(hooks->arg,
									  sizeof(double) * (options->epochs > 0 ? options->epochs : 1));
}

/*
 * record the epoch's loss and decide early stopping: false when training
 * should stop
 */
bool
fit_epoch_done(const NnLayout *layout, const FitOptions *options, const float *weights,
			   int epoch, double mean_loss, const FitData *validation, float *best,
			   const FitHooks *hooks, FitScratch *s, FitResult *result)
{
	result->epoch_loss[epoch] = mean_loss;
	result->epochs_run = epoch + 1;
	if (hooks->after_epoch)
		hooks->after_epoch(hooks->after_epoch_arg, epoch, mean_loss);

	if (validation)
	{
		double		val_loss,
					val_accuracy;

		score_with(layout, weights, validation, hooks, s, &val_loss, &val_accuracy);
		if (result->best_epoch == 0 || val_loss < result->validation_loss)
		{
			result->best_epoch = epoch + 1;
			result->validation_loss = val_loss;
			memcpy(best, weights, sizeof(float) * nn_weight_count(layout));
		}
		else if (epoch + 1 - result->best_epoch >= options->patience)
			return false;
	}
	return true;
}

/* restore the best epoch's weights and score the final ones on data */
void
fit_finish(const NnLayout *layout, float *weights, const FitData *data,
		   const float *best, const FitHooks *hooks, FitScratch *s, FitResult *result)
{
	if (best && result->best_epoch > 0)
		memcpy(weights, best, sizeof(float) * nn_weight_count(layout));
	score_with(layout, weights, data, hooks, s, &result->final_loss,
			   &result->train_accuracy);
}

/*
 * A warm start: the generator and the shuffle order as they were after
 * resume->epochs_done epochs (the draws of the initial weights, then one
 * shuffle per epoch), the optimizer's state, the early-stopping record and
 * the losses so far
 */
void
fit_resume(const FitResume *resume, const NnLayout *layout, float *weights,
		   const FitOptions *options, int64_t n, uint32_t *order, NnRng *rng,
		   FitStepper *st, float *best, const FitHooks *hooks, FitResult *result)
{
	const size_t n_weights = nn_weight_count(layout);
	size_t		i;
	int			epoch;

	for (i = 0; i < n_weights; i++)
		(void) nn_rng_next(rng);
	for (epoch = 0; order && epoch < resume->epochs_done; epoch++)
	{
		fit_shuffle(order, n, rng);
		if (hooks->between_chunks)
			hooks->between_chunks(hooks->arg);
	}
	st->step = resume->step;
	if (resume->state1)
		memcpy(st->state1, resume->state1, sizeof(float) * n_weights);
	if (resume->state2 && st->state2)
		memcpy(st->state2, resume->state2, sizeof(float) * n_weights);
	if (best && resume->best_epoch > 0)
	{
		memcpy(best, weights, sizeof(float) * n_weights);
		result->best_epoch = resume->best_epoch;
		result->validation_loss = resume->validation_loss;
	}
	if (resume->last)
		memcpy(weights, resume->last, sizeof(float) * n_weights);
	for (epoch = 0; epoch < resume->epochs_done && epoch < options->epochs; epoch++)
		result->epoch_loss[epoch] = resume->epoch_loss[epoch];
	result->epochs_run = resume->epochs_done;
}

/*
 * the trainer's state at the end into result, for a later warm start: st's
 * step and states (as they are: the caller keeps them), and the last
 * epoch's weights when early stopping is about to restore an earlier one's
 */
void
fit_keep_state(const FitStepper *st, const float *weights, const float *best,
			   const FitHooks *hooks, FitResult *result)
{
	result->step = st->step;
	result->state1 = st->state1;
	result->state2 = st->state2;
	result->last = NULL;
	if (best && result->best_epoch > 0 && result->best_epoch != result->epochs_run)
	{
		result->last = hooks->alloc(hooks->arg, sizeof(float) * st->n_weights);
		memcpy(result->last, weights, sizeof(float) * st->n_weights);
	}
}

/*
 * train the network on data for options->epochs epochs, with early stopping
 * on validation
 */
void
fit_network(const NnLayout *layout, float *weights, const FitOptions *options,
			const FitData *data, const FitData *validation,
			const FitHooks *hooks, const FitResume *resume, FitResult *result)
{
	const size_t n_weights = nn_weight_count(layout);
	const int64_t n = data->n_rows;
	const int64_t batch = options->batch_size <= 0 || options->batch_size > n
		? n : options->batch_size;
	float	   *best = validation ?
		hooks->alloc(hooks->arg, sizeof(float) * n_weights) : NULL;
	uint32_t   *order = NULL;
	FitScratch	s = {0};
	FitStepper	st = {0};
	NnRng		rng = {0};
	int			epoch = 0;

	fit_scratch_init(&s, layout, hooks);
	fit_stepper_init(&st, layout, hooks);
	/* momentum: the previous gradient; Adam: the two moment estimates */
	st.state1 = hooks->alloc(hooks->arg, sizeof(float) * n_weights);
	if (options->optimizer == FIT_ADAM)
		st.state2 = hooks->alloc(hooks->arg, sizeof(float) * n_weights);
	nn_rng_seed(&rng, options->seed);
	if (resume == NULL)
		nn_init_weights(layout, weights, options->init_range, &rng);
	fit_result_init(result, options, hooks);

	/* the whole-set batch sees every row each step: order does not matter */
	if (batch < n)
	{
		int64_t		i;

		order = hooks->alloc(hooks->arg, sizeof(uint32_t) * (size_t) n);
		for (i = 0; i < n; i++)
			order[i] = (uint32_t) i;
	}
	if (resume)
	{
		fit_resume(resume, layout, weights, options, n, order, &rng, &st, best, hooks, result);
		epoch = resume->epochs_done;
		/* early stopping had stopped: a single call would have stopped there too */
		if (validation && result->best_epoch > 0 &&
			epoch - result->best_epoch >= options->patience)
			epoch = options->epochs;
	}

	for (; epoch < options->epochs; epoch++)
	{
		double		loss = fit_epoch(&st, weights, options, data, order, &rng, hooks);

		if (!fit_epoch_done(layout, options, weights, epoch, loss / (double) n,
							validation, best, hooks, &s, result))
			break;
	}
	fit_keep_state(&st, weights, best, hooks, result);
	fit_finish(layout, weights, data, best, hooks, &s, result);
}
