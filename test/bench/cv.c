/*
 * cv.c — stratified k-fold cross-validation of the bpnn kernel on a CSV
 * file, outside the server.  Used to choose the defaults of bpnn_train by
 * measurement (test/bench/choose-defaults.sh) and to compare settings fast.
 *
 *   cv FILE [hidden=32,16] [epochs=200] [lr=0.1] [momentum=0.7] [batch=0]
 *           [norm=decimal] [act=bipolar_sigmoid] [folds=10] [seed=1] [range=0.1]
 *           [loss=squared_error] [optimizer=momentum] [decay=0]
 *
 * Prints one line: file, settings, mean and standard deviation of the fold
 * accuracies, and the seconds spent training (wall clock, then the
 * process's CPU time: the figure to compare on a shared machine).
 */
#include "csv.h"
#include "../../src/nn_fit.h"
#include "../../src/nn_normalize.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *
alloc_zero(void *arg, size_t bytes)
{
	void	   *p = calloc(1, bytes ? bytes : 1);

	(void) arg;
	if (!p)
	{
		fprintf(stderr, "cv: out of memory\n");
		exit(2);
	}
	return p;
}

static double
clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	CsvData		d;
	NnLayout	layout = {0};
	FitOptions	opt = {200, 0.1, 0.7, 0, 0.1, 1, FIT_MOMENTUM, 0.0, NULL, 0};
	NnLoss		loss = NN_LOSS_SQUARED_ERROR;
	FitHooks	hooks = {alloc_zero, NULL, NULL, NULL, NULL};
	NormMethod	norm = NORM_DECIMAL;
	NnActivation act = NN_ACT_BIPOLAR_SIGMOID;
	char		hidden[256] = "32";
	int			folds = 10;
	int		   *fold_of;
	double		acc_sum = 0,
				acc_sq = 0,
				seconds = 0,
				cpu_seconds = 0;
	int			a,
				k;
	int64_t		i;
	NnRng		rng;

	if (argc < 2)
	{
		fprintf(stderr, "usage: cv FILE [key=value ...]\n");
		return 2;
	}
	for (a = 2; a < argc; a++)
	{
		char	   *eq = strchr(argv[a], '=');
		const char *v = eq ? eq + 1 : "";

		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(argv[a], "hidden"))
			snprintf(hidden, sizeof(hidden), "%s", v);
		else if (!strcmp(argv[a], "epochs"))
			opt.epochs = atoi(v);
		else if (!strcmp(argv[a], "lr"))
			opt.learning_rate = atof(v);
		else if (!strcmp(argv[a], "momentum"))
			opt.momentum = atof(v);
		else if (!strcmp(argv[a], "batch"))
			opt.batch_size = atoi(v);
		else if (!strcmp(argv[a], "range"))
			opt.init_range = atof(v);
		else if (!strcmp(argv[a], "seed"))
			opt.seed = strtoull(v, NULL, 10);
		else if (!strcmp(argv[a], "folds"))
			folds = atoi(v);
		else if (!strcmp(argv[a], "norm"))
			norm = norm_method_from_name(v);
		else if (!strcmp(argv[a], "act"))
			act = nn_activation_from_name(v);
		else if (!strcmp(argv[a], "loss"))
			loss = nn_loss_from_name(v);
		else if (!strcmp(argv[a], "optimizer"))
			opt.optimizer = fit_optimizer_from_name(v);
		else if (!strcmp(argv[a], "decay"))
			opt.weight_decay = atof(v);
		else
		{
			fprintf(stderr, "cv: unknown option %s\n", argv[a]);
			return 2;
		}
		*eq = '=';
	}
	if ((int) norm < 0 || (int) act < 0 || (int) loss < 0 || (int) opt.optimizer < 0)
	{
		fprintf(stderr, "cv: unknown norm or act\n");
		return 2;
	}
	csv_load(argv[1], &d);

	layout.sizes[0] = d.n_features;
	layout.n_layers = 0;
	if (strcmp(hidden, "0") != 0 && hidden[0])
	{
		char	   *save = NULL,
				   *tok,
				   *h = strdup(hidden);

		for (tok = strtok_r(h, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			layout.sizes[++layout.n_layers] = atoi(tok);
		free(h);
	}
	layout.sizes[++layout.n_layers] = d.n_classes;
	layout.hidden_act = act;
	layout.output_act = nn_output_activation_for(act, loss);
	layout.loss = loss;

	/* stratified folds: shuffle, then deal each class's rows round-robin */
	fold_of = malloc(sizeof(int) * d.n_rows);
	{
		int64_t    *perm = malloc(sizeof(int64_t) * d.n_rows);
		int		   *next = calloc(d.n_classes, sizeof(int));

		for (i = 0; i < d.n_rows; i++)
			perm[i] = i;
		nn_rng_seed(&rng, opt.seed ^ UINT64_C(0xF01D5));
		for (i = d.n_rows - 1; i > 0; i--)
		{
			int64_t		j = (int64_t) (nn_rng_uniform(&rng) * (i + 1));
			int64_t		t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		for (i = 0; i < d.n_rows; i++)
		{
			int			c = d.y[perm[i]];

			/* offset by class so small classes do not all start in fold 0 */
			fold_of[perm[i]] = (next[c]++ + c) % folds;
		}
		free(perm);
		free(next);
	}

	for (k = 0; k < folds; k++)
	{
		int64_t		n_train = 0,
					n_test = 0;
		FeatureStats *stats = calloc(d.n_features, sizeof(FeatureStats));
		double	   *shift = malloc(sizeof(double) * d.n_features);
		double	   *scale = malloc(sizeof(double) * d.n_features);
		float	   *xtr = malloc(sizeof(float) * d.n_rows * d.n_features);
		float	   *xte = malloc(sizeof(float) * d.n_rows * d.n_features);
		int32_t    *ytr = malloc(sizeof(int32_t) * d.n_rows);
		int32_t    *yte = malloc(sizeof(int32_t) * d.n_rows);
		float	   *w = malloc(sizeof(float) * nn_weight_count(&layout));
		FitData		train = {0},
					test = {0};
		FitResult	res;
		double		loss,
					acc,
					t0,
					cpu0;
		int			f;

		feature_stats_init(stats, d.n_features);
		for (i = 0; i < d.n_rows; i++)
			if (fold_of[i] != k)
				feature_stats_add(stats, d.x + i * d.n_features, d.n_features);
		norm_fit(norm, stats, d.n_features, shift, scale);
		for (i = 0; i < d.n_rows; i++)
		{
			int			is_test = fold_of[i] == k;
			float	   *dst = is_test ? xte + n_test * d.n_features : xtr + n_train * d.n_features;

			for (f = 0; f < d.n_features; f++)
				dst[f] = (float) ((d.x[i * d.n_features + f] - shift[f]) * scale[f]);
			if (is_test)
				yte[n_test++] = d.y[i];
			else
				ytr[n_train++] = d.y[i];
		}
		train.x = xtr;
		train.y = ytr;
		train.n_rows = n_train;
		test.x = xte;
		test.y = yte;
		test.n_rows = n_test;
		t0 = clock_seconds(CLOCK_MONOTONIC);
		cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
		fit_network(&layout, w, &opt, &train, NULL, &hooks, NULL, &res);
		seconds += clock_seconds(CLOCK_MONOTONIC) - t0;
		cpu_seconds += clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
		fit_score(&layout, w, &test, &hooks, &loss, &acc);
		acc_sum += acc;
		acc_sq += acc * acc;
		free(stats);
		free(shift);
		free(scale);
		free(xtr);
		free(xte);
		free(ytr);
		free(yte);
		free(w);
	}
	{
		double		mean = acc_sum / folds;
		double		sd = sqrt(fmax(0.0, acc_sq / folds - mean * mean));
		const char *base = strrchr(argv[1], '/');

		printf("%-18s hidden=%s epochs=%d lr=%g momentum=%g batch=%d norm=%s act=%s loss=%s optimizer=%s decay=%g  acc %.4f +- %.4f  train %.2fs (cpu %.2fs)\n",
			   base ? base + 1 : argv[1], hidden, opt.epochs, opt.learning_rate,
			   opt.momentum, opt.batch_size, norm_method_name(norm),
			   nn_activation_name(act), nn_loss_name(loss),
			   fit_optimizer_name(opt.optimizer), opt.weight_decay, mean, sd, seconds,
			   cpu_seconds);
	}
	return 0;
}
