/*
 * slice.c — what one mini-batch costs in one process, and what a slice of
 * it costs, outside the server: the floor under parallel training's time
 * per batch (src/parallel_train.c cuts each batch into one slice per
 * participant, then adds the slices' gradients and applies one update).
 *
 * Built as the server builds these files (the kernel src/nn.c at -O3, the
 * rest at PGXS's -O2, which leaves the plain loop below scalar):
 *   cc -O3 -ffp-contract=off -fno-trapping-math -c -o /tmp/nn.o src/nn.c
 *   cc -O2 -ffp-contract=off -fno-trapping-math -o /tmp/slice \
 *       test/bench/slice.c src/nn_fit.c /tmp/nn.o -lm
 *   /tmp/slice [hidden=64] [batch=32] [inputs=16] [classes=26] [rows=18000]
 *
 * Random rows of letter's shape by default (16 inputs, 26 classes, the
 * defaults' bipolar sigmoid and momentum).  Prints, in microseconds per
 * batch, the best of 7 passes over the rows (the least disturbed by other
 * jobs): the gradient of the whole batch, of half of it, the update, one
 * training step (gradient and update) and the sum of two gradient buffers
 * as a plain loop and eight at a time (what -O2 vectorizes).
 */
#include "../../src/float_sum.h"
#include "../../src/nn_fit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *
alloc_zeroed(void *arg, size_t bytes)
{
	void	   *p = calloc(1, bytes);

	(void) arg;
	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return p;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
arg_int(int argc, char **argv, const char *name, int value)
{
	size_t		len = strlen(name);
	int			i;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], name, len) == 0 && argv[i][len] == '=')
			return atoi(argv[i] + len + 1);
	return value;
}

/* the plain loop, as a compiler at -O2 leaves it (scalar) */
__attribute__((noinline)) static void
add_plain(float *sum, const float *g, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		sum[i] += g[i];
}

/* eight at a time with restrict: src/parallel_train.c's loop */
__attribute__((noinline)) static void
add_by_eight(float *sum, const float *g, size_t n)
{
	float_sum_add(sum, g, n);
}

enum
{
	GRAD_BATCH, GRAD_HALF, UPDATE, STEP, ADD_PLAIN, ADD_BY_EIGHT, MEASURES
};

int
main(int argc, char **argv)
{
	static const char *const names[MEASURES] = {
		"gradient of the batch", "gradient of half the batch", "update", "step (gradient + update)",
		"sum of two buffers, plain loop", "sum of two buffers, eight at a time"
	};
	const int	hidden = arg_int(argc, argv, "hidden", 64);
	const int	batch = arg_int(argc, argv, "batch", 32);
	const int	inputs = arg_int(argc, argv, "inputs", 16);
	const int	classes = arg_int(argc, argv, "classes", 26);
	const int64_t n = arg_int(argc, argv, "rows", 18000);
	const int64_t batches = n / batch;
	NnLayout	layout = {0};
	FitHooks	hooks = {alloc_zeroed, NULL, NULL, NULL, NULL};
	FitOptions	options = {1, 0.1, 0.7, batch, 0.1, 1, FIT_MOMENTUM, 0.0, NULL, 0};
	FitStepper	st;
	NnRng		rng;
	double		best[MEASURES];
	float	   *x,
			   *weights,
			   *other;
	int32_t    *y;
	uint32_t   *order;
	size_t		n_weights;
	int64_t		i,
				b;
	int			m,
				pass;

	if (hidden < 1 || batch < 2 || inputs < 1 || classes < 2 || batches < 1)
	{
		fprintf(stderr, "usage: slice [hidden=64] [batch=32] [inputs=16] [classes=26] [rows=18000]\n");
		return 1;
	}
	layout.n_layers = 2;
	layout.sizes[0] = inputs;
	layout.sizes[1] = hidden;
	layout.sizes[2] = classes;
	layout.hidden_act = NN_ACT_BIPOLAR_SIGMOID;
	layout.loss = NN_LOSS_SQUARED_ERROR;
	layout.output_act = nn_output_activation_for(layout.hidden_act, layout.loss);
	n_weights = nn_weight_count(&layout);

	nn_rng_seed(&rng, 1);
	x = alloc_zeroed(NULL, sizeof(float) * (size_t) (n * inputs));
	y = alloc_zeroed(NULL, sizeof(int32_t) * (size_t) n);
	order = alloc_zeroed(NULL, sizeof(uint32_t) * (size_t) n);
	for (i = 0; i < n * inputs; i++)
		x[i] = (float) (nn_rng_uniform(&rng) * 2.0 - 1.0);
	for (i = 0; i < n; i++)
	{
		y[i] = (int32_t) (i % classes);
		order[i] = (uint32_t) i;
	}
	fit_shuffle(order, n, &rng);
	weights = alloc_zeroed(NULL, sizeof(float) * n_weights);
	other = alloc_zeroed(NULL, sizeof(float) * n_weights);
	nn_init_weights(&layout, weights, 0.1, &rng);
	fit_stepper_init(&st, &layout, &hooks);
	st.state1 = alloc_zeroed(NULL, sizeof(float) * n_weights);

	{
		FitData		data = {x, y, n, NULL};

		for (m = 0; m < MEASURES; m++)
			best[m] = 1e30;
		for (pass = 0; pass < 7; pass++)
			for (m = 0; m < MEASURES; m++)
			{
				double		t0 = now_us();

				for (b = 0; b < batches; b++)
				{
					switch (m)
					{
						case GRAD_BATCH:
						case GRAD_HALF:
							fit_gradient(&st, weights, &options, &data, order, b * batch,
										 m == GRAD_BATCH ? batch : batch / 2, st.grad, &hooks, NULL);
							break;
						case UPDATE:
							fit_update(&st, weights, &options, st.grad, 0, n_weights, 0, batch);
							break;
						case STEP:
							fit_step(&st, weights, &options, &data, order, b * batch, batch, &hooks, NULL);
							break;
						case ADD_PLAIN:
							add_plain(st.grad, other, n_weights);
							break;
						case ADD_BY_EIGHT:
							add_by_eight(st.grad, other, n_weights);
							break;
					}
				}
				if ((now_us() - t0) / (double) batches < best[m])
					best[m] = (now_us() - t0) / (double) batches;
				memset(st.grad, 0, sizeof(float) * n_weights);
			}
	}
	printf("%d-%d-%d (%zu weights), batch %d, %lld batches of random rows; microseconds per batch, best of 7:\n",
		   inputs, hidden, classes, n_weights, batch, (long long) batches);
	for (m = 0; m < MEASURES; m++)
		printf("  %-38s %8.2f\n", names[m], best[m]);
	return 0;
}
