/*
 * test_nn.c — unit tests of the network math outside the server: the
 * finite-difference gradient check of the backward pass (every activation,
 * squared error and softmax with cross-entropy, class weights, two hidden
 * layers; linear outputs against real targets for regression), that
 * regression learns, the momentum rule of Jiang 2020, Adam, weight decay, early
 * stopping, decimal scaling, seeded reproducibility, that training
 * actually learns, that hashed seeds a generator step apart give
 * unrelated shuffles, and bpnn_explain's math (attribution.c): its input
 * gradients against finite differences, and integrated gradients'
 * completeness and exact answer for a linear network.
 *
 * Prints one line per check and closes with "N passed, N failed".
 */
#include "../../src/attribution.h"
#include "../../src/nn_fit.h"
#include "../../src/nn_normalize.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	passed,
			failed;

static void
check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	if (ok)
		passed++;
	else
		failed++;
}

static void *
alloc_zero(void *arg, size_t bytes)
{
	(void) arg;
	return calloc(1, bytes ? bytes : 1);
}

#define ROWS 7

/* weighted loss of the batch in ws->act[0] under weights */
static double
batch_loss(const NnLayout *layout, const float *w, NnWorkspace *ws,
		   const int32_t *labels, const float *class_weight)
{
	float	   *scratch = calloc(nn_weight_count(layout), sizeof(float));
	double		loss;

	nn_forward(layout, w, ws, ROWS);
	loss = nn_backward(layout, w, ws, ROWS, labels, class_weight, scratch);
	free(scratch);
	return loss;
}

/*
 * The relative error (the norm of the difference over the norms) between
 * grad, minus the gradient nn_backward gave, and central differences of the
 * loss of the rows in inputs (rows x sizes[0]), weight by weight
 */
static double
finite_difference_error(const NnLayout *layout, float *w, NnWorkspace *ws, const float *inputs,
						size_t input_bytes, const int32_t *labels, const float *class_weight,
						const float *grad)
{
	size_t		n = nn_weight_count(layout);
	double		diff2 = 0.0,
				sum2 = 0.0;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		const float h = 1e-2f;
		float		saved = w[i];
		double		up,
					down,
					numeric;

		w[i] = saved + h;
		memcpy(ws->act[0], inputs, input_bytes);
		up = batch_loss(layout, w, ws, labels, class_weight);
		w[i] = saved - h;
		memcpy(ws->act[0], inputs, input_bytes);
		down = batch_loss(layout, w, ws, labels, class_weight);
		w[i] = saved;
		numeric = -(up - down) / ((double) (saved + h) - (double) (saved - h));
		diff2 += (numeric - grad[i]) * (numeric - grad[i]);
		sum2 += numeric * numeric + (double) grad[i] * grad[i];
	}
	/* float32 limits single tiny entries; the whole vector is what counts */
	return sqrt(diff2 / sum2);
}

/*
 * nn_backward returns minus the gradient of the loss: compare it with
 * central differences of the loss, weight by weight.
 */
static void
gradient_check(NnActivation act, NnLoss loss, const float *class_weight)
{
	NnLayout	layout = {3, {5, 4, 3, 3}, act, nn_output_activation_for(act, loss), loss};
	size_t		n = nn_weight_count(&layout);
	float	   *w = malloc(sizeof(float) * n);
	float	   *grad = calloc(n, sizeof(float));
	float	   *mem = malloc(sizeof(float) * nn_workspace_floats(&layout, ROWS));
	float		inputs[ROWS * 5];
	int32_t		labels[ROWS];
	NnWorkspace ws;
	NnRng		rng;
	double		worst;
	size_t		i;
	char		what[160];

	nn_rng_seed(&rng, 42 + act);
	nn_init_weights(&layout, w, 0.8, &rng);
	nn_workspace_bind(&ws, &layout, ROWS, mem);
	for (i = 0; i < ROWS * 5; i++)
		inputs[i] = (float) (4.0 * nn_rng_uniform(&rng) - 2.0);
	for (i = 0; i < ROWS; i++)
		labels[i] = (int32_t) (nn_rng_next(&rng) % 3);

	memcpy(ws.act[0], inputs, sizeof(inputs));
	nn_forward(&layout, w, &ws, ROWS);
	nn_backward(&layout, w, &ws, ROWS, labels, class_weight, grad);

	worst = finite_difference_error(&layout, w, &ws, inputs, sizeof(inputs), labels,
									class_weight, grad);
	snprintf(what, sizeof(what),
			 "gradient check, %s, %s%s, 2 hidden layers, %zu weights (relative error %.2e)",
			 nn_activation_name(act), nn_loss_name(loss),
			 class_weight ? ", class weights" : "", n, worst);
	check(worst < 1e-3, what);
	free(w);
	free(grad);
	free(mem);
}

/*
 * The same check for regression: a linear output layer of two units,
 * squared error against real-valued targets (ws.target), any hidden
 * activation.
 */
static void
gradient_check_regression(NnActivation act)
{
	NnLayout	layout = {3, {5, 4, 3, 2}, act, NN_ACT_LINEAR, NN_LOSS_SQUARED_ERROR};
	size_t		n = nn_weight_count(&layout);
	float	   *w = malloc(sizeof(float) * n);
	float	   *grad = calloc(n, sizeof(float));
	float	   *mem = malloc(sizeof(float) * nn_workspace_floats(&layout, ROWS));
	float		inputs[ROWS * 5];
	float		targets[ROWS * 2];
	int32_t		labels[ROWS] = {0};
	NnWorkspace ws;
	NnRng		rng;
	double		worst,
				loss,
				expected = 0.0;
	int			correct = 1;
	size_t		i;
	char		what[160];

	nn_rng_seed(&rng, 4242 + act);
	nn_init_weights(&layout, w, 0.8, &rng);
	nn_workspace_bind(&ws, &layout, ROWS, mem);
	for (i = 0; i < ROWS * 5; i++)
		inputs[i] = (float) (4.0 * nn_rng_uniform(&rng) - 2.0);
	for (i = 0; i < ROWS * 2; i++)
		targets[i] = (float) (4.0 * nn_rng_uniform(&rng) - 2.0);
	ws.target = targets;

	memcpy(ws.act[0], inputs, sizeof(inputs));
	nn_forward(&layout, w, &ws, ROWS);
	loss = nn_batch_loss(&layout, &ws, ROWS, labels, &correct);
	for (i = 0; i < ROWS * 2; i++)
		expected += 0.5 * ((double) targets[i] - ws.act[3][i]) * ((double) targets[i] - ws.act[3][i]);
	check(fabs(loss - expected) <= 1e-9 * expected && correct == 0,
		  "regression: nn_batch_loss is 1/2 sum (t - o)^2 over every output, no correct count");
	nn_backward(&layout, w, &ws, ROWS, labels, NULL, grad);
	worst = finite_difference_error(&layout, w, &ws, inputs, sizeof(inputs), labels, NULL, grad);
	snprintf(what, sizeof(what),
			 "gradient check, regression: %s hidden, linear outputs, squared error, 2 outputs, %zu weights (relative error %.2e)",
			 nn_activation_name(act), n, worst);
	check(worst < 1e-3, what);
	free(w);
	free(grad);
	free(mem);
}

/*
 * Regression learns: y = 2 x0 - x1 + 0.5 x0 x1 on a seeded grid, fit by
 * fit_network to a small mean squared error, the same bits twice
 */
static void
regression_learns(FitOptimizer optimizer)
{
	enum
	{
		N = 64
	};
	NnLayout	layout = {2, {2, 8, 1}, NN_ACT_TANH, NN_ACT_LINEAR, NN_LOSS_SQUARED_ERROR};
	size_t		n = nn_weight_count(&layout);
	float		x[N * 2],
				t[N];
	int32_t		y[N] = {0};
	float	   *w1 = malloc(sizeof(float) * n),
			   *w2 = malloc(sizeof(float) * n);
	FitOptions	opt = {0};
	FitHooks	hooks = {alloc_zero, NULL, NULL, NULL, NULL};
	FitResult	r1 = {0},
				r2 = {0};
	FitData		data = {x, y, N, t};
	double		variance = 0.0,
				mean = 0.0;
	char		what[160];
	int			i;

	for (i = 0; i < N; i++)
	{
		x[2 * i] = (float) ((i % 8) / 3.5 - 1.0);
		x[2 * i + 1] = (float) ((i / 8) / 3.5 - 1.0);
		t[i] = 2.0f * x[2 * i] - x[2 * i + 1] + 0.5f * x[2 * i] * x[2 * i + 1];
		mean += t[i] / N;
	}
	for (i = 0; i < N; i++)
		variance += 0.5 * (t[i] - mean) * (t[i] - mean) / N;
	opt.epochs = 300;
	opt.learning_rate = optimizer == FIT_ADAM ? 0.01 : 0.1;
	opt.momentum = 0.7;
	opt.batch_size = 8;
	opt.init_range = 0.3;
	opt.seed = 7;
	opt.optimizer = optimizer;
	opt.patience = 10;
	fit_network(&layout, w1, &opt, &data, NULL, &hooks, NULL, &r1);
	fit_network(&layout, w2, &opt, &data, NULL, &hooks, NULL, &r2);
	snprintf(what, sizeof(what),
			 "regression learns (%s): final loss %.2e, under 2%% of the variance %.2e, same bits twice",
			 fit_optimizer_name(optimizer), r1.final_loss, variance);
	check(r1.final_loss < 0.02 * variance && r1.train_accuracy == 0.0 &&
		  memcmp(w1, w2, sizeof(float) * n) == 0, what);
	free(w1);
	free(w2);
}

/* a deliberately wrong derivative must fail the same comparison */
static void
gradient_check_catches_errors(void)
{
	NnLayout	layout = {2, {3, 4, 2}, NN_ACT_BIPOLAR_SIGMOID, NN_ACT_BIPOLAR_SIGMOID, NN_LOSS_SQUARED_ERROR};
	size_t		n = nn_weight_count(&layout);
	float	   *w = malloc(sizeof(float) * n);
	float	   *grad = calloc(n, sizeof(float));
	float	   *mem = malloc(sizeof(float) * nn_workspace_floats(&layout, 1));
	int32_t		label = 1;
	NnWorkspace ws;
	NnRng		rng;
	float		h = 1e-2f,
				saved;
	double		up,
				down,
				numeric;
	int			correct;

	nn_rng_seed(&rng, 7);
	nn_init_weights(&layout, w, 0.8, &rng);
	nn_workspace_bind(&ws, &layout, 1, mem);
	ws.act[0][0] = 0.5f;
	ws.act[0][1] = -1.0f;
	ws.act[0][2] = 2.0f;
	nn_forward(&layout, w, &ws, 1);
	nn_backward(&layout, w, &ws, 1, &label, NULL, grad);
	saved = w[0];
	w[0] = saved + h;
	nn_forward(&layout, w, &ws, 1);
	up = nn_batch_loss(&layout, &ws, 1, &label, &correct);
	w[0] = saved - h;
	nn_forward(&layout, w, &ws, 1);
	down = nn_batch_loss(&layout, &ws, 1, &label, &correct);
	numeric = -(up - down) / (2 * h);
	/* twice the analytic gradient (the derivative without its 1/2) is far off */
	check(fabs(numeric - 2 * grad[0]) > 0.5 * fabs(numeric) && fabs(numeric) > 1e-4,
		  "gradient check rejects a derivative off by a factor of two");
	free(w);
	free(grad);
	free(mem);
}

/*
 * Softmax's row maximum is a vector pass, with the old loop (top = o[0];
 * top = o[j] > top ? o[j] : top) for a row with a NaN, whose result the
 * order decides: a NaN first makes the loop's maximum NaN, every shifted
 * value NaN and so clamped to e^-87, and the row uniform; a NaN later is
 * passed over.  Nine rows: a group of eight and one alone.
 */
static void
softmax_nan_order(void)
{
	NnLayout	layout = {1, {3, 5}, NN_ACT_SOFTMAX, NN_ACT_SOFTMAX, NN_LOSS_CROSS_ENTROPY};
	const int	rows = 9;
	size_t		n = nn_weight_count(&layout);
	float	   *w = malloc(sizeof(float) * n);
	float	   *mem = malloc(sizeof(float) * nn_workspace_floats(&layout, rows));
	NnWorkspace ws;
	NnRng		rng;
	bool		uniform = true,
				later = true;
	int			i,
				j;

	nn_rng_seed(&rng, 11);
	nn_init_weights(&layout, w, 2.0, &rng);
	nn_workspace_bind(&ws, &layout, rows, mem);
	for (i = 0; i < rows * 3; i++)
		ws.act[0][i] = (float) (2.0 * nn_rng_uniform(&rng) - 1.0);
	/* the biases (the last weight row): output 0's NaN */
	w[3 * 5 + 0] = NAN;
	nn_forward(&layout, w, &ws, rows);
	for (i = 0; i < rows; i++)
		for (j = 0; j < 5; j++)
			uniform &= ws.act[1][i * 5 + j] == ws.act[1][i * 5] && !isnan(ws.act[1][i * 5 + j]);
	check(uniform, "softmax: a NaN first makes every row uniform, as the ordered loop does");

	/* output 2's NaN instead: the others are a distribution, output 2 near 0 */
	w[3 * 5 + 0] = 0.25f;
	w[3 * 5 + 2] = NAN;
	nn_forward(&layout, w, &ws, rows);
	for (i = 0; i < rows; i++)
	{
		double		sum = 0.0;

		for (j = 0; j < 5; j++)
			sum += ws.act[1][i * 5 + j];
		later &= fabs(sum - 1.0) < 1e-5 && ws.act[1][i * 5 + 2] < 1e-30f &&
			ws.act[1][i * 5 + 2] != ws.act[1][i * 5];
	}
	check(later, "softmax: a NaN after the first value is passed over by the maximum");
	free(w);
	free(mem);
}

static void
momentum_rule(void)
{
	float		w[1] = {1.0f},
				g[1] = {2.0f},
				g_prev[1] = {0.0f};

	/* batch of 4 rows: mean 0.5; first step has no previous gradient */
	nn_update(1, w, g, g_prev, 0.25, 0.1, 0.7, 0.0);
	check(fabsf(w[0] - 1.05f) < 1e-6f && g[0] == 0.0f && fabsf(g_prev[0] - 0.5f) < 1e-7f,
		  "update: w += rate * mean gradient, gradient cleared, remembered");
	g[0] = -4.0f;				/* mean -1 */
	nn_update(1, w, g, g_prev, 0.25, 0.1, 0.7, 0.0);
	/* 1.05 + 0.1 * -1 + 0.7 * 0.1 * 0.5 = 0.985 */
	check(fabsf(w[0] - 0.985f) < 1e-6f, "update: + momentum * rate * previous mean gradient");

	/* weight decay alone pulls a weight towards zero by rate * decay * w */
	w[0] = 2.0f;
	g[0] = 0.0f;
	g_prev[0] = 0.0f;
	nn_update(1, w, g, g_prev, 1.0, 0.1, 0.0, 0.5);
	check(fabsf(w[0] - 1.9f) < 1e-6f, "update: L2 weight decay shrinks a weight by rate * decay * w");
}

static void
adam_rule(void)
{
	float		w[2] = {1.0f, 1.0f},
				g[2] = {3.0f, -0.001f},
				m[2] = {0, 0},
				v[2] = {0, 0};

	/* Adam's first step moves every weight by about the rate, whatever the scale */
	nn_update_adam(2, w, g, m, v, 1, 1.0, 0.01, 0.0);
	check(fabsf(w[0] - 1.01f) < 1e-5f && fabsf(w[1] - 0.99f) < 1e-4f && g[0] == 0.0f,
		  "Adam: the first step is the rate in the gradient's sign, gradient cleared");
}

static void
decimal_scaling(void)
{
	check(norm_decimal_scale(0.5) == 10.0, "decimal scale of max 0.5 is 10");
	check(norm_decimal_scale(37.0) == 0.1, "decimal scale of max 37 is 0.1");
	check(norm_decimal_scale(10.0) == 1.0, "decimal scale of max 10 is 1");
	check(norm_decimal_scale(1e-3) == 1e4, "decimal scale of max 0.001 is 10^4");
	check(norm_decimal_scale(0.0) == 1.0, "decimal scale of an all-zero feature is 1");
	check(norm_decimal_scale(4177.0) * 4177.0 <= 10.0 &&
		  norm_decimal_scale(4177.0) * 4177.0 > 1.0, "decimal scaling lands in (1, 10]");
}

static void
stats_combine(void)
{
	double		rows[6] = {1, 2, 4, 8, 16, 32};
	FeatureStats all,
				a,
				b;
	int			i;

	feature_stats_init(&all, 1);
	feature_stats_init(&a, 1);
	feature_stats_init(&b, 1);
	for (i = 0; i < 6; i++)
	{
		feature_stats_add(&all, &rows[i], 1);
		feature_stats_add(i < 2 ? &a : &b, &rows[i], 1);
	}
	feature_stats_combine(&a, &b, 1);
	check(fabs(a.mean - all.mean) < 1e-12 && fabs(a.m2 - all.m2) < 1e-9 &&
		  a.min == 1 && a.max == 32 && a.count == 6,
		  "feature statistics combine to the same as one pass");
}

/* XOR with a +-1 encoding: needs the hidden layer */
static void
learns_and_repeats(int batch_size, NnLoss loss, FitOptimizer optimizer)
{
	float		x[8] = {-1, -1, -1, 1, 1, -1, 1, 1};
	int32_t		y[4] = {0, 1, 1, 0};
	NnLayout	layout = {2, {2, 8, 2}, NN_ACT_BIPOLAR_SIGMOID,
	nn_output_activation_for(NN_ACT_BIPOLAR_SIGMOID, loss), loss};
	FitOptions	opt = {3000, 0.05, 0.7, batch_size, 0.5, 3, optimizer, 0.0, NULL, 0};
	FitData		data = {x, y, 4, NULL};
	FitHooks	hooks = {alloc_zero, NULL, NULL, NULL, NULL};
	FitResult	r1,
				r2;
	size_t		n = nn_weight_count(&layout);
	float	   *w1 = malloc(sizeof(float) * n);
	float	   *w2 = malloc(sizeof(float) * n);
	char		what[160];

	fit_network(&layout, w1, &opt, &data, NULL, &hooks, NULL, &r1);
	fit_network(&layout, w2, &opt, &data, NULL, &hooks, NULL, &r2);
	snprintf(what, sizeof(what), "batch size %d, %s, %s learns XOR (accuracy %.2f, loss %.6f)",
			 batch_size, nn_loss_name(loss), fit_optimizer_name(optimizer),
			 r1.train_accuracy, r1.final_loss);
	check(r1.train_accuracy == 1.0 && r1.final_loss < r1.epoch_loss[0], what);
	snprintf(what, sizeof(what), "batch size %d: same seed, bit-identical weights", batch_size);
	check(memcmp(w1, w2, sizeof(float) * n) == 0, what);
	opt.seed = 4;
	fit_network(&layout, w2, &opt, &data, NULL, &hooks, NULL, &r2);
	snprintf(what, sizeof(what), "batch size %d: another seed, other weights", batch_size);
	check(memcmp(w1, w2, sizeof(float) * n) != 0, what);
	free(w1);
	free(w2);
}

/*
 * Early stopping: with validation rows that contradict the training rows,
 * the validation loss is best at the start; training must stop after
 * `patience` epochs and restore the weights of the best epoch.
 */
static void
early_stopping(void)
{
	float		x[8] = {-1, -1, -1, 1, 1, -1, 1, 1};
	int32_t		y[4] = {0, 1, 1, 0};
	int32_t		flipped[4] = {1, 0, 0, 1};
	NnLayout	layout = {2, {2, 8, 2}, NN_ACT_TANH, NN_ACT_TANH, NN_LOSS_SQUARED_ERROR};
	FitOptions	opt = {3000, 0.05, 0.7, 0, 0.5, 3, FIT_MOMENTUM, 0.0, NULL, 5};
	FitData		data = {x, y, 4, NULL};
	FitData		validation = {x, flipped, 4, NULL};
	FitHooks	hooks = {alloc_zero, NULL, NULL, NULL, NULL};
	FitResult	r;
	float		w[64];
	char		what[160];

	fit_network(&layout, w, &opt, &data, &validation, &hooks, NULL, &r);
	snprintf(what, sizeof(what),
			 "early stopping: stops %d epochs after the best (epoch %d of %d run), keeps its weights",
			 opt.patience, r.best_epoch, r.epochs_run);
	check(r.epochs_run == r.best_epoch + opt.patience && r.epochs_run < opt.epochs &&
		  r.train_accuracy < 1.0, what);
}

/*
 * A warm start: n epochs, then k more from the state fit_network left
 * (FitResume), give the bits of n + k epochs in one run, for each
 * optimizer, with shuffled mini-batches and with early stopping (whose
 * validation rows contradict the training rows, so that the best epoch
 * is an early one and the last epoch's weights must be carried over)
 */
static void
resumes_exactly(int batch_size, FitOptimizer optimizer, bool with_validation)
{
	float		x[16] = {-1, -1, -1, 1, 1, -1, 1, 1, -0.5f, -1, -1, 0.5f, 0.5f, -1, 1, 0.5f};
	int32_t		y[8] = {0, 1, 1, 0, 0, 1, 1, 0};
	int32_t		flipped[8] = {1, 0, 0, 1, 1, 0, 0, 1};
	NnLayout	layout = {2, {2, 6, 2}, NN_ACT_TANH, NN_ACT_TANH, NN_LOSS_SQUARED_ERROR};
	FitOptions	whole = {60, 0.05, 0.7, batch_size, 0.5, 3, optimizer, 0.001, NULL, 40};
	FitOptions	first = whole;
	FitData		data = {x, y, 8, NULL};
	FitData		validation = {x, flipped, 8, NULL};
	FitHooks	hooks = {alloc_zero, NULL, NULL, NULL, NULL};
	FitResult	r_whole,
				r_first,
				r_rest;
	FitResume	resume = {0};
	size_t		n = nn_weight_count(&layout);
	float	   *w_whole = malloc(sizeof(float) * n);
	float	   *w = malloc(sizeof(float) * n);
	char		what[200];

	first.epochs = 25;
	fit_network(&layout, w_whole, &whole, &data, with_validation ? &validation : NULL, &hooks,
				NULL, &r_whole);
	fit_network(&layout, w, &first, &data, with_validation ? &validation : NULL, &hooks,
				NULL, &r_first);
	resume.epochs_done = r_first.epochs_run;
	resume.epoch_loss = r_first.epoch_loss;
	resume.step = r_first.step;
	resume.state1 = r_first.state1;
	resume.state2 = r_first.state2;
	resume.last = r_first.last;
	resume.best_epoch = r_first.best_epoch;
	resume.validation_loss = r_first.validation_loss;
	fit_network(&layout, w, &whole, &data, with_validation ? &validation : NULL, &hooks,
				&resume, &r_rest);
	snprintf(what, sizeof(what),
			 "batch size %d, %s%s: 25 epochs, then the rest, are the bits of %d in one run (%d run, best %d)",
			 batch_size, fit_optimizer_name(optimizer), with_validation ? ", early stopping" : "",
			 whole.epochs, r_whole.epochs_run, r_whole.best_epoch);
	check(memcmp(w, w_whole, sizeof(float) * n) == 0 &&
		  r_rest.epochs_run == r_whole.epochs_run && r_rest.best_epoch == r_whole.best_epoch &&
		  r_rest.step == r_whole.step &&
		  memcmp(r_rest.epoch_loss, r_whole.epoch_loss, sizeof(double) * r_whole.epochs_run) == 0 &&
		  memcmp(r_rest.state1, r_whole.state1, sizeof(float) * n) == 0 &&
		  (!with_validation || r_first.last != NULL), what);
	free(w_whole);
	free(w);
}

/*
 * The blocked kernels against plain loops that add every term in order:
 * the same bits, for any shape, any number of rows passed at once (1 when
 * scoring) and sparse inputs (whole zero columns and scattered zeros).
 */
static void
blocked_equals_plain(void)
{
	/*
	 * inputs, hidden, classes, rows; the last two pass more than
	 * nn_gemm.c's chunk of 256 inputs or rows with an odd width, so its
	 * sums wait in memory between chunks
	 */
	static const int shapes[][4] = {{28, 32, 2, 11}, {16, 32, 26, 11}, {5, 7, 3, 11}, {33, 80, 10, 11},
	{784, 128, 10, 11}, {3, 1, 17, 11}, {9, 64, 4, 11}, {300, 22, 3, 7}, {16, 26, 5, 600}};
	int			s,
				ok = 1;

	for (s = 0; s < (int) (sizeof(shapes) / sizeof(shapes[0])); s++)
	{
		NnLayout	layout = {2, {shapes[s][0], shapes[s][1], shapes[s][2]},
		NN_ACT_TANH, NN_ACT_SOFTMAX, NN_LOSS_CROSS_ENTROPY};
		const int	n_in = shapes[s][0],
					n_h = shapes[s][1],
					n_out = shapes[s][2];
		const int	rows = shapes[s][3];
		size_t		n_w = nn_weight_count(&layout);
		float	   *w = malloc(sizeof(float) * n_w);
		float	   *grad = calloc(n_w, sizeof(float));
		float	   *plain_grad = calloc(n_w, sizeof(float));
		float	   *mem = malloc(sizeof(float) * nn_workspace_floats(&layout, rows));
		float	   *one = malloc(sizeof(float) * nn_forward_workspace_floats(&layout, 1));
		float	   *h = malloc(sizeof(float) * rows * n_h);
		float	   *dh = malloc(sizeof(float) * rows * n_h);
		int32_t	   *labels = malloc(sizeof(int32_t) * rows);
		float	   *scoring;
		NnWorkspace ws,
					ws1,
					ws_score;
		NnRng		rng;
		int			i,
					j,
					k;

		nn_rng_seed(&rng, 99 + s);
		nn_init_weights(&layout, w, 0.5, &rng);
		nn_workspace_bind(&ws, &layout, rows, mem);
		nn_forward_workspace_bind(&ws1, &layout, 1, one);
		for (i = 0; i < rows * n_in; i++)
		{
			double		u = nn_rng_uniform(&rng);

			ws.act[0][i] = (i % n_in) % 5 == 1 || u < 0.3 ? 0.0f : (float) (4 * u - 2);
		}
		for (i = 0; i < rows; i++)
			labels[i] = i % n_out;
		nn_forward(&layout, w, &ws, rows);
		nn_backward(&layout, w, &ws, rows, labels, NULL, grad);

		/* the hidden layer and its error products, plainly */
		for (i = 0; i < rows; i++)
			for (j = 0; j < n_h; j++)
			{
				float		u = w[(size_t) n_in * n_h + j];

				for (k = 0; k < n_in; k++)
					u += ws.act[0][i * n_in + k] * w[(size_t) k * n_h + j];
				h[i * n_h + j] = u;
			}
		for (i = 0; i < rows * n_h; i++)
			ok &= ws.act[1][i] == tanhf(h[i]) || fabsf(ws.act[1][i] - tanhf(h[i])) < 1e-6f;
		for (i = 0; i < rows; i++)
			for (k = 0; k < n_h; k++)
			{
				float		d = 0.0f;
				const float *w2 = w + nn_layer_offset(&layout, 1);

				for (j = 0; j < n_out; j++)
					d += ws.delta[2][i * n_out + j] * w2[(size_t) k * n_out + j];
				dh[i * n_h + k] = d * (1.0f - ws.act[1][i * n_h + k] * ws.act[1][i * n_h + k]);
			}
		for (i = 0; i < rows * n_h; i++)
			ok &= dh[i] == ws.delta[1][i];
		for (k = 0; k <= n_in; k++)
			for (j = 0; j < n_h; j++)
				for (i = 0; i < rows; i++)
					plain_grad[(size_t) k * n_h + j] +=
						(k < n_in ? ws.act[0][i * n_in + k] : 1.0f) * ws.delta[1][i * n_h + j];
		for (i = 0; i < (n_in + 1) * n_h; i++)
			ok &= plain_grad[i] == grad[i];
		/*
		 * exact pre-activations: the activation is applied to the same bits;
		 * one row at a time, and one row through the padded scoring weights
		 */
		scoring = malloc(sizeof(float) * nn_scoring_floats(&layout));
		nn_scoring_bind(&ws_score, &layout, w, scoring);
		for (i = 0; i < rows; i++)
		{
			memcpy(ws1.act[0], ws.act[0] + i * n_in, sizeof(float) * n_in);
			nn_forward(&layout, w, &ws1, 1);
			ok &= memcmp(ws1.act[1], ws.act[1] + i * n_h, sizeof(float) * n_h) == 0;
			ok &= memcmp(ws1.act[2], ws.act[2] + i * n_out, sizeof(float) * n_out) == 0;
			memcpy(ws_score.act[0], ws.act[0] + i * n_in, sizeof(float) * n_in);
			nn_forward_one(&layout, &ws_score);
			ok &= memcmp(ws_score.act[1], ws.act[1] + i * n_h, sizeof(float) * n_h) == 0;
			ok &= memcmp(ws_score.act[2], ws.act[2] + i * n_out, sizeof(float) * n_out) == 0;
		}
		free(scoring);
		free(w);
		free(grad);
		free(plain_grad);
		free(mem);
		free(one);
		free(h);
		free(dh);
		free(labels);
	}
	check(ok, "blocked products: the bits of plain in-order loops, one row or many, sparse or dense, "
		  "and of the padded one-row scoring path");
}

/*
 * The scaler of a scored row, in vectors, against the plain formula: the
 * same bits for ordinary values and float4's edges; NaN, infinities and
 * values beyond float4 are taken as 0 and reported, and so is a scaled
 * value beyond float4 (its output is 0).
 */
static void
scale_row_equals_plain(void)
{
	double		values[37],
				shift[37],
				scale[37];
	float		out[37];
	NnRng		rng;
	int			i,
				ok = 1;

	nn_rng_seed(&rng, 5);
	for (i = 0; i < 37; i++)
	{
		values[i] = 2e3 * nn_rng_uniform(&rng) - 1e3;
		shift[i] = nn_rng_uniform(&rng) - 0.5;
		scale[i] = 1.0 / (0.1 + nn_rng_uniform(&rng));
	}
	values[3] = -0.0;
	values[5] = FLT_MAX;
	values[6] = -(double) FLT_MAX;
	shift[5] = shift[6] = 0.0;
	scale[5] = scale[6] = 1.0;	/* float4's largest values stay in range */
	ok &= nn_scale_row(values, shift, scale, 37, out);
	for (i = 0; i < 37; i++)
	{
		float		plain = (float) (((double) (float) values[i] - shift[i]) * scale[i]);

		ok &= memcmp(&plain, &out[i], sizeof(float)) == 0;
	}
	{
		const double bad[] = {NAN, INFINITY, -INFINITY, nextafter((double) FLT_MAX, INFINITY), 1e300};

		/* the raw value is taken as 0 */
		const float zero = (float) ((0.0 - shift[11]) * scale[11]);

		for (i = 0; i < 5; i++)
		{
			values[11] = bad[i];
			ok &= !nn_scale_row(values, shift, scale, 37, out) && out[11] == zero;
		}
		/* in range, but beyond float4 once scaled */
		values[11] = 1e38;
		scale[11] = 10.0;
		ok &= !nn_scale_row(values, shift, scale, 37, out) && out[11] == 0.0f;
	}
	check(ok, "scaling a scored row: the bits of the plain formula; NaN, infinities and values beyond float4 reported");
}

/* FNV-1a over bytes: a short name for a long run of floats */
static uint64_t
fnv1a(uint64_t h, const void *bytes, size_t n)
{
	const unsigned char *b = bytes;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

/*
 * The bits every build must agree on: the weights after training the
 * shapes bpnn meets (letter 16-32-26, 28-32-2, a 784-wide first layer) with
 * each activation, both losses, both optimizers and several batch sizes on
 * seeded random data, and the class probabilities of one row and of many
 * scored by them (one row also through the padded scoring weights).  Printed as "fingerprint: <hex>"; test/unit/run.sh checks
 * that the build as the server loads it (kernel clones chosen at run time)
 * and one build per instruction set print the same.
 */
static void
kernel_fingerprint(void)
{
	static const int shapes[][4] = {
		/* inputs, hidden, classes, rows */
		{16, 32, 26, 300}, {28, 32, 2, 300}, {784, 20, 10, 40}, {5, 7, 3, 50}};
	uint64_t	h = 14695981039346656037ULL;
	int			s,
				act,
				loss;

	for (s = 0; s < (int) (sizeof(shapes) / sizeof(shapes[0])); s++)
		for (act = NN_ACT_BIPOLAR_SIGMOID; act <= NN_ACT_RELU; act++)
			for (loss = NN_LOSS_SQUARED_ERROR; loss <= NN_LOSS_CROSS_ENTROPY; loss++)
			{
				const int	n_in = shapes[s][0],
							n_out = shapes[s][2],
							rows = shapes[s][3];
				NnLayout	layout = {2, {n_in, shapes[s][1], n_out}, (NnActivation) act,
				nn_output_activation_for((NnActivation) act, (NnLoss) loss), (NnLoss) loss};
				FitOptions	opt = {3, 0.05, 0.7, (act + loss) % 3 == 0 ? 0 : 7 * act + 1, 0.5,
				(uint64_t) (s * 10 + act), (act + s) % 2 ? FIT_ADAM : FIT_MOMENTUM,
				loss ? 1e-4 : 0.0, NULL, 0};
				size_t		n_w = nn_weight_count(&layout);
				float	   *x = malloc(sizeof(float) * rows * n_in);
				int32_t    *y = malloc(sizeof(int32_t) * rows);
				float	   *w = malloc(sizeof(float) * n_w);
				float	   *mem = malloc(sizeof(float) * nn_forward_workspace_floats(&layout, rows));
				float	   *scoring;
				FitData		data = {x, y, rows, NULL};
				FitHooks	hooks = {alloc_zero, NULL, NULL, NULL, NULL};
				FitResult	r;
				NnWorkspace ws;
				NnRng		rng;
				int			i;

				nn_rng_seed(&rng, 1000 + s);
				for (i = 0; i < rows * n_in; i++)
					x[i] = (float) (6.0 * nn_rng_uniform(&rng) - 3.0);
				for (i = 0; i < rows; i++)
					y[i] = (int32_t) (nn_rng_next(&rng) % n_out);
				fit_network(&layout, w, &opt, &data, NULL, &hooks, NULL, &r);
				h = fnv1a(h, w, sizeof(float) * n_w);
				/* scoring: all rows at once, then the first row alone */
				nn_forward_workspace_bind(&ws, &layout, rows, mem);
				memcpy(ws.act[0], x, sizeof(float) * rows * n_in);
				nn_forward(&layout, w, &ws, rows);
				h = fnv1a(h, ws.act[2], sizeof(float) * rows * n_out);
				nn_forward_workspace_bind(&ws, &layout, 1, mem);
				memcpy(ws.act[0], x, sizeof(float) * n_in);
				nn_forward(&layout, w, &ws, 1);
				h = fnv1a(h, ws.act[2], sizeof(float) * n_out);
				scoring = malloc(sizeof(float) * nn_scoring_floats(&layout));
				nn_scoring_bind(&ws, &layout, w, scoring);
				memcpy(ws.act[0], x + n_in, sizeof(float) * n_in);
				nn_forward_one(&layout, &ws);
				h = fnv1a(h, ws.act[2], sizeof(float) * n_out);
				free(scoring);
				free(x);
				free(y);
				free(w);
				free(mem);
			}
	printf("fingerprint: %016llx\n", (unsigned long long) h);
}

/*
 * Pairs of rows that share a batch of 32 in two seeded shuffles of 4250
 * rows (streaming's half buffer on letter), against the rate of two
 * unrelated shuffles (31 / 4249 of the pairs)
 */
static double
shared_batch_pairs(NnRng *a, NnRng *b)
{
	enum
	{
		N = 4250, BATCH = 32
	};
	static uint32_t order_a[N],
				order_b[N],
				batch_a[N];
	int			counts[N / BATCH + 1];
	int64_t		shared = 0,
				pairs = 0;
	int			i,
				k,
				start;

	for (i = 0; i < N; i++)
		order_a[i] = order_b[i] = (uint32_t) i;
	fit_shuffle(order_a, N, a);
	fit_shuffle(order_b, N, b);
	for (i = 0; i < N; i++)
		batch_a[order_a[i]] = (uint32_t) (i / BATCH);
	for (start = 0; start + BATCH <= N; start += BATCH)
	{
		memset(counts, 0, sizeof(counts));
		for (i = start; i < start + BATCH; i++)
			counts[batch_a[order_b[i]]]++;
		for (k = 0; k < N / BATCH + 1; k++)
			shared += (int64_t) counts[k] * (counts[k] - 1) / 2;
		pairs += BATCH * (BATCH - 1) / 2;
	}
	return (double) shared / (double) pairs / (31.0 / 4249.0);
}

/*
 * Streaming's epoch seeds are a generator step apart: seeded directly, the
 * next epoch's stream is this one's shifted by one number, and its
 * shuffle repeats many of this one's batches; seeded at the hash, no more
 * than chance
 */
static void
hashed_seeds(void)
{
	const uint64_t step = UINT64_C(0x9E3779B97F4A7C15);
	NnRng		a,
				b;
	double		plain,
				hashed;
	uint64_t	second;

	nn_rng_seed(&a, 1);
	nn_rng_seed(&b, 1 + step);
	(void) nn_rng_next(&a);
	second = nn_rng_next(&a);
	check(nn_rng_next(&b) == second, "seeds a step apart: one stream, shifted by one number");
	nn_rng_seed(&a, 1);
	nn_rng_seed(&b, 1 + step);
	plain = shared_batch_pairs(&a, &b);
	nn_rng_seed_hashed(&a, 1);
	nn_rng_seed_hashed(&b, 1 + step);
	hashed = shared_batch_pairs(&a, &b);
	printf("pairs sharing a batch again, times chance: seeded %.2f, hashed %.2f\n", plain, hashed);
	check(plain > 5.0, "seeded a step apart, shuffles repeat batches");
	check(hashed > 0.8 && hashed < 1.2, "hashed seeds a step apart, batches repeat by chance");
}


/*
 * attribution.c: attr_gradient's gradient of the target with respect to
 * the inputs against central differences of its value (float8, h = 1e-5),
 * and integrated gradients' contributions adding up to the change from
 * the baseline within the tolerance asked for
 */
static void
attribution_check(NnActivation act, NnLoss loss, bool regression)
{
	NnLayout	layout = {3, {5, 6, 4, regression ? 1 : 3}, act,
		regression ? NN_ACT_LINEAR : nn_output_activation_for(act, loss), loss};
	AttrTarget	target = {regression ? ATTR_VALUE : ATTR_PROBABILITY, regression ? 0 : 1,
	2.5, -1.0};
	float	   *w = malloc(sizeof(float) * nn_weight_count(&layout));
	double	   *work = malloc(sizeof(double) * attr_work_doubles(&layout));
	double		z[5],
				z0[5],
				grad[5],
				point[5],
				contribution[5],
				diff2 = 0.0,
				sum2 = 0.0,
				f,
				f0,
				total = 0.0;
	AttrPanel	panels[4096];
	NnRng		rng;
	char		what[160];
	int			i;

	nn_rng_seed(&rng, 100 + 4 * act + 2 * loss + regression);
	nn_init_weights(&layout, w, 0.8, &rng);
	for (i = 0; i < 5; i++)
	{
		/* away from saturation, where differences of a value near 1 lose the digits */
		z[i] = 2.0 * nn_rng_uniform(&rng) - 1.0;
		z0[i] = -z[i] + 0.5 * nn_rng_uniform(&rng) - 0.25;
	}
	f = attr_gradient(&layout, w, &target, z, grad, work);
	for (i = 0; i < 5; i++)
	{
		const double h = 1e-5;
		double		saved = z[i],
					numeric;

		z[i] = saved + h;
		numeric = attr_gradient(&layout, w, &target, z, NULL, work);
		z[i] = saved - h;
		numeric = (numeric - attr_gradient(&layout, w, &target, z, NULL, work)) / (2 * h);
		z[i] = saved;
		diff2 += (numeric - grad[i]) * (numeric - grad[i]);
		sum2 += numeric * numeric + grad[i] * grad[i];
	}
	snprintf(what, sizeof(what), "attribution: input gradient of %s, %s%s matches finite differences (%.1e)",
			 regression ? "a value" : "a probability", nn_activation_name(act),
			 regression ? "" : (loss == NN_LOSS_CROSS_ENTROPY ? " + softmax" : " + squared error"),
			 sum2 > 0 ? sqrt(diff2 / sum2) : 0.0);
	check(sum2 > 0 && sqrt(diff2 / sum2) < 1e-6, what);

	f0 = attr_gradient(&layout, w, &target, z0, NULL, work);
	(void) attr_integrated_gradients(&layout, w, &target, z, z0, 1e-7 * fabs(f - f0), panels, 4096,
									 contribution, point, grad, work, NULL, NULL);
	for (i = 0; i < 5; i++)
		total += contribution[i];
	snprintf(what, sizeof(what), "attribution: integrated gradients of %s, %s add up to the change (%.1e of %.3f)",
			 regression ? "a value" : "a probability", nn_activation_name(act),
			 fabs(total - (f - f0)), f - f0);
	check(fabs(f - f0) > 1e-4 && fabs(total - (f - f0)) <= 1e-7 * fabs(f - f0), what);
	free(w);
	free(work);
}

/* a network without hidden layers is linear: each contribution is w_i (z_i - z0_i) scale */
static void
attribution_linear(void)
{
	NnLayout	layout = {1, {4, 1}, NN_ACT_RELU, NN_ACT_LINEAR, NN_LOSS_SQUARED_ERROR};
	AttrTarget	target = {ATTR_VALUE, 0, 3.0, 7.0};
	float		w[5] = {0.5f, -1.25f, 2.0f, 0.0f, 0.75f};
	double		z[4] = {1.0, 2.0, -3.0, 4.0},
				z0[4] = {0.5, -0.5, 0.25, 1.0},
				contribution[4],
				point[4],
				grad[4],
				work[16],
				worst = 0.0;
	AttrPanel	panels[64];
	int			i;

	(void) attr_integrated_gradients(&layout, w, &target, z, z0, 1e-12, panels, 64,
									 contribution, point, grad, work, NULL, NULL);
	for (i = 0; i < 4; i++)
		worst = fmax(worst, fabs(contribution[i] - w[i] * (z[i] - z0[i]) * 3.0));
	check(worst < 1e-12, "attribution: a linear network's contributions are its weights times the change");
}

int
main(void)
{
	int			act;
	float		class_weight[3] = {0.5f, 2.0f, 1.25f};

	for (act = NN_ACT_BIPOLAR_SIGMOID; act <= NN_ACT_RELU; act++)
	{
		gradient_check((NnActivation) act, NN_LOSS_SQUARED_ERROR, NULL);
		gradient_check((NnActivation) act, NN_LOSS_CROSS_ENTROPY, NULL);
	}
	gradient_check(NN_ACT_BIPOLAR_SIGMOID, NN_LOSS_SQUARED_ERROR, class_weight);
	gradient_check(NN_ACT_RELU, NN_LOSS_CROSS_ENTROPY, class_weight);
	for (act = NN_ACT_BIPOLAR_SIGMOID; act <= NN_ACT_RELU; act++)
		gradient_check_regression((NnActivation) act);
	gradient_check_catches_errors();
	regression_learns(FIT_MOMENTUM);
	regression_learns(FIT_ADAM);
	softmax_nan_order();
	momentum_rule();
	adam_rule();
	decimal_scaling();
	stats_combine();
	learns_and_repeats(0, NN_LOSS_SQUARED_ERROR, FIT_MOMENTUM);
	learns_and_repeats(1, NN_LOSS_SQUARED_ERROR, FIT_MOMENTUM);
	learns_and_repeats(3, NN_LOSS_SQUARED_ERROR, FIT_MOMENTUM);
	learns_and_repeats(3, NN_LOSS_CROSS_ENTROPY, FIT_MOMENTUM);
	learns_and_repeats(0, NN_LOSS_CROSS_ENTROPY, FIT_ADAM);
	early_stopping();
	resumes_exactly(3, FIT_MOMENTUM, false);
	resumes_exactly(0, FIT_MOMENTUM, false);
	resumes_exactly(3, FIT_ADAM, false);
	resumes_exactly(3, FIT_ADAM, true);
	resumes_exactly(0, FIT_MOMENTUM, true);
	blocked_equals_plain();
	scale_row_equals_plain();
	kernel_fingerprint();
	hashed_seeds();
	for (act = NN_ACT_BIPOLAR_SIGMOID; act <= NN_ACT_RELU; act++)
	{
		attribution_check((NnActivation) act, NN_LOSS_SQUARED_ERROR, false);
		attribution_check((NnActivation) act, NN_LOSS_CROSS_ENTROPY, false);
		attribution_check((NnActivation) act, NN_LOSS_SQUARED_ERROR, true);
	}
	attribution_linear();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
