/*
 * score_row.c — the one-row scoring kernel outside the server: nanoseconds
 * (CPU time) per row of what bpnn_predict computes for a float8[] row once
 * PostgreSQL has built the array: the scaler (nn_scale_row), the forward
 * pass through the padded weights (nn_forward_one) and the class
 * (nn_argmax), for a network of one hidden layer with seeded weights.
 *
 *   make test/bench/score_row
 *   test/bench/score_row N_IN HIDDEN N_OUT ACTIVATION [ROWS=1000000] [CHAIN=1]
 *
 * ACTIVATION is the NnActivation number (0 bipolar sigmoid, 1 tanh, ...),
 * for the hidden and the output layer.  With CHAIN=1 the row scored next
 * depends on the class just found, so rows cannot overlap in the CPU: in a
 * query PostgreSQL's own work for the next row comes between them.  Build
 * the same file against another checkout's src/nn.c to compare versions
 * (docs/performance.md).
 */
#include "../../src/nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DISTINCT_ROWS 1024

static double
cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	NnLayout	layout;
	NnWorkspace ws;
	unsigned	seed = 1;
	long		rows,
				r,
				classes = 0;
	int			n_in,
				chain,
				previous = 0,
				f;
	size_t		n_weights,
				i;
	float	   *weights,
			   *scoring;
	double	   *data,
			   *shift,
			   *scale,
				start;

	if (argc < 5)
	{
		fprintf(stderr, "usage: %s N_IN HIDDEN N_OUT ACTIVATION [ROWS] [CHAIN]\n", argv[0]);
		return 2;
	}
	memset(&layout, 0, sizeof(layout));
	layout.n_layers = 2;
	layout.sizes[0] = n_in = atoi(argv[1]);
	layout.sizes[1] = atoi(argv[2]);
	layout.sizes[2] = atoi(argv[3]);
	layout.hidden_act = layout.output_act = (NnActivation) atoi(argv[4]);
	rows = argc > 5 ? atol(argv[5]) : 1000000;
	chain = argc > 6 ? atoi(argv[6]) : 1;
	if (n_in < 1 || layout.sizes[1] < 1 || layout.sizes[2] < 1 || rows < 1)
		return 2;

	/* weights in [-0.5, 0.5]; rows of small integers (letter's 0 to 15), z-scored */
	n_weights = nn_weight_count(&layout);
	weights = malloc(sizeof(float) * n_weights);
	scoring = malloc(sizeof(float) * nn_scoring_floats(&layout));
	data = malloc(sizeof(double) * DISTINCT_ROWS * n_in);
	shift = malloc(sizeof(double) * n_in);
	scale = malloc(sizeof(double) * n_in);
	for (i = 0; i < n_weights; i++)
	{
		seed = seed * 1103515245u + 12345u;
		weights[i] = (float) ((int) ((seed >> 8) % 2001) - 1000) / 2000.0f;
	}
	for (i = 0; i < (size_t) DISTINCT_ROWS * n_in; i++)
	{
		seed = seed * 1103515245u + 12345u;
		data[i] = (seed >> 8) % 16;
	}
	for (f = 0; f < n_in; f++)
	{
		shift[f] = 7.5;
		scale[f] = 0.22;
	}
	nn_scoring_bind(&ws, &layout, weights, scoring);

	start = cpu_seconds();
	for (r = 0; r < rows; r++)
	{
		const double *row = data + (size_t) ((r + (chain ? previous : 0)) % DISTINCT_ROWS) * n_in;

		nn_scale_row(row, shift, scale, n_in, ws.act[0]);
		nn_forward_one(&layout, &ws);
		previous = nn_argmax(ws.act[2], layout.sizes[2]);
		classes += previous;
	}
	printf("%.1f ns per row (%d-%d-%d, activation %d, %ld rows, chain %d; classes sum %ld)\n",
		   (cpu_seconds() - start) / rows * 1e9, n_in, layout.sizes[1], layout.sizes[2],
		   (int) layout.hidden_act, rows, chain, classes);
	free(weights);
	free(scoring);
	free(data);
	free(shift);
	free(scale);
	return 0;
}
