/*
 * train_memory.c — the in-memory training driver: normalizes the scanned
 * rows (nn_normalize.c), splits off validation rows, standardizes a
 * regressor's targets, and runs the training loop (nn_fit.c) on them.
 * train_model() is shared with cross-validation (evaluate.c) and bpnn_fit
 * (fit_aggregate.c); bpnn_train (train_entry.c) calls it when the rows
 * fit in bpnn.memory_limit, and only bpnn_train's training may run on
 * several cores (args->parallel: parallel_train.c).
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "huge_pages.h"
#include "nn_fit.h"
#include "parallel.h"
#include "train_memory.h"
#include "warm_start.h"

/*
 * what is reported after each epoch: bpnn.progress NOTICEs, live progress;
 * both count this call's epochs (a continued model's earlier ones are not
 * part of its pace)
 */
typedef struct EpochReports
{
	TrainProgress *notices;		/* NULL unless bpnn.progress */
	LiveProgress *live;
	int			first;			/* the epochs init_model had run */
} EpochReports;

/*
 * the training loop's hook after each epoch: bpnn.progress's NOTICE and the
 * progress slot
 */
static void
report_progress(void *arg, int epoch, double mean_loss)
{
	EpochReports *reports = (EpochReports *) arg;

	if (reports->notices)
		train_progress_report(reports->notices, epoch - reports->first, mean_loss, -1.0);
	live_progress_epoch(reports->live, epoch - reports->first, mean_loss);
}

/* x' = (x - shift) * scale, as predict does for one row; NaN (a NULL) is imputed first */
static inline void
normalize_row(float *dst, const float *src, int n, const double *shift,
			  const double *scale, const double *impute)
{
	int			f;

	for (f = 0; f < n; f++)
	{
		double		v = isnan(src[f]) ? (double) (float) impute[f] : (double) src[f];

		dst[f] = (float) ((v - shift[f]) * scale[f]);
	}
}

/* rows of set (all when rows is NULL), normalized with the model's scaler */
float *
train_normalized_rows(const BpnnModel *model, const TrainingSet *set,
					  const int64 *rows, int64 n_rows)
{
	int			n = set->n_inputs;
	Size		bytes = sizeof(float) * (Size) n * (rows ? n_rows : set->n_rows);
	float	   *x;
	int64		i;

	if (bytes > (Size) bpnn_memory_limit_kb * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a normalized copy of the rows exceeds bpnn.memory_limit"),
				 errdetail("The copy takes %zu kB; bpnn.memory_limit is %d kB.",
						   bytes / 1024, bpnn_memory_limit_kb),
				 errhint("Raise bpnn.memory_limit, or use fewer rows or features.")));
	x = MemoryContextAllocHuge(CurrentMemoryContext, bytes);
	advise_huge_pages(x, bytes);

	for (i = 0; i < (rows ? n_rows : set->n_rows); i++)
	{
		normalize_row(x + (Size) i * n, set->x + (Size) (rows ? rows[i] : i) * n, n,
					  model->shift, model->scale, model->impute);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return x;
}

/* the rows of set (all when rows is NULL) split into training and validation */
typedef struct RowSplit
{
	int64	   *train;
	int64		n_train;
	int64	   *validation;
	int64		n_validation;
} RowSplit;

/*
 * Hold out validation_fraction of the rows for early stopping, stratified
 * and seeded: each class's rows in a seeded random order, the first share
 * of them held out, at least one row of every class left for training.
 */
static void
split_rows(const TrainingSet *set, const int64 *rows, int64 n_rows,
		   double fraction, uint64 seed, RowSplit *split)
{
	int64	   *order = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * n_rows);
	int64	   *per_class = palloc0(sizeof(int64) * set->n_classes);
	int64	   *taken = palloc0(sizeof(int64) * set->n_classes);
	NnRng		rng = {0};
	int64		i;

	for (i = 0; i < n_rows; i++)
	{
		order[i] = rows ? rows[i] : i;
		per_class[set->y[order[i]]]++;
	}
	nn_rng_seed(&rng, seed ^ UINT64CONST(0x5A11D8));
	nn_rng_shuffle(order, n_rows, &rng);
	split->train = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * n_rows);
	split->validation = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * n_rows);
	split->n_train = split->n_validation = 0;
	for (i = 0; i < n_rows; i++)
	{
		int32		c = set->y[order[i]];
		int64		share = Min((int64) floor(per_class[c] * fraction + 0.5), per_class[c] - 1);

		if (taken[c] < share)
		{
			taken[c]++;
			split->validation[split->n_validation++] = order[i];
		}
		else
			split->train[split->n_train++] = order[i];
	}
	if (split->n_validation == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("validation_fraction %g leaves no rows for validation", fraction),
				 errhint("Raise validation_fraction, or train on more rows.")));
}

/* the scaler: from the training rows' statistics, or a continued model's own */
static void
set_scaler(BpnnModel *model, const TrainArgs *args, const TrainingSet *set,
		   const FeatureStats *stats)
{
	int			n = set->n_inputs;

	if (args->init == NULL)
	{
		train_model_scaler(model, set, stats);
		return;
	}
	memcpy(model->shift, args->init->shift, sizeof(double) * n);
	memcpy(model->scale, args->init->scale, sizeof(double) * n);
	memcpy(model->impute, args->init->impute, sizeof(double) * n);
}

/* feature statistics of some rows, from their raw float4 values */
static FeatureStats *
rows_stats(const TrainingSet *set, const int64 *rows, int64 n_rows)
{
	FeatureStats *stats = palloc(sizeof(FeatureStats) * set->n_inputs);
	double	   *row = palloc(sizeof(double) * set->n_inputs);
	int64		i;
	int			f;

	feature_stats_init(stats, set->n_inputs);
	for (i = 0; i < n_rows; i++)
	{
		const float *src = set->x + (Size) rows[i] * set->n_inputs;

		for (f = 0; f < set->n_inputs; f++)
			row[f] = src[f];
		feature_stats_add(stats, row, set->n_inputs);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return stats;
}

/* the class ids of some rows */
static int32 *
rows_labels(const TrainingSet *set, const int64 *rows, int64 n_rows)
{
	int32	   *y = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * n_rows);
	int64		i;

	for (i = 0; i < n_rows; i++)
		y[i] = set->y[rows[i]];
	return y;
}

/* regression: the mean of target column k over the rows (all when rows is NULL) */
double
train_target_mean(const TrainingSet *set, const int64 *rows, int64 n_rows, int k)
{
	int			n_out = set->n_classes;
	double		sum = 0.0;
	int64		i;

	for (i = 0; i < n_rows; i++)
		sum += set->target[(rows ? rows[i] : i) * n_out + k];
	CHECK_FOR_INTERRUPTS();
	return sum / (double) n_rows;
}

/*
 * Regression: the target's mean and standard deviation over the training
 * rows (all when rows is NULL), as scikit-learn's StandardScaler computes
 * them (population deviation, two passes in float8), kept in the model; a
 * constant target keeps scale 1
 */
static void
fit_target_scaling(BpnnModel *model, const TrainingSet *set, const int64 *rows,
				   int64 n_rows)
{
	int			n_out = set->n_classes,
				k;

	model->target_shift = palloc(sizeof(double) * n_out);
	model->target_scale = palloc(sizeof(double) * n_out);
	for (k = 0; k < n_out; k++)
	{
		double		squares = 0.0,
					mean = train_target_mean(set, rows, n_rows, k);
		int64		i;

		for (i = 0; i < n_rows; i++)
		{
			double		d = set->target[(rows ? rows[i] : i) * n_out + k] - mean;

			squares += d * d;
		}
		CHECK_FOR_INTERRUPTS();
		model->target_shift[k] = mean;
		model->target_scale[k] = squares > 0.0 ? sqrt(squares / (double) n_rows) : 1.0;
		if (!isfinite(model->target_scale[k]) || !(model->target_scale[k] > 0.0))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the label's values are too large to standardize"),
					 errhint("Scale the label down in a view.")));
	}
}

/*
 * a regressor's targets of rows of set, standardized with the model's target
 * scaling
 */
float *
train_standardized_targets(const BpnnModel *model, const TrainingSet *set, const int64 *rows,
						   int64 n_rows)
{
	int			n_out = model_n_classes(model),
				k;
	float	   *t = MemoryContextAllocHuge(CurrentMemoryContext,
										   sizeof(float) * Max(n_rows, 1) * n_out);
	int64		i;

	for (i = 0; i < n_rows; i++)
	{
		for (k = 0; k < n_out; k++)
			t[i * n_out + k] = (float) ((set->target[(rows ? rows[i] : i) * n_out + k] -
										 model->target_shift[k]) / model->target_scale[k]);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return t;
}

/* train a network on rows of set (all when rows is NULL), in memory */
BpnnModel *
train_model(const TrainArgs *args, TrainingSet *set, const int64 *rows,
			int64 n_rows)
{
	BpnnModel  *model = palloc0(sizeof(BpnnModel));
	FitData		data = {0},
				validation = {0};
	FitOptions	options = args->fit;
	FitHooks	hooks = {0};
	FitResult	result = {0};
	RowSplit	split = {0};
	double	   *weights_per_class;
	float	   *class_weight_f;
	int64	   *class_count;
	int64		i;
	FitResume	resume;
	bool		weighted;
	int			c,
				first,
				workers = 0;

	train_model_layout(model, args, set);
	/* warm_start_check_set made the rows the model's: a can't-happen check */
	if (args->init)
	{
		const NnLayout *a = &model->layout,
				   *b = &args->init->layout;
		int			l;

		if (a->n_layers != b->n_layers || a->hidden_act != b->hidden_act ||
			a->output_act != b->output_act || a->loss != b->loss)
			elog(ERROR, "rows not checked against init_model");
		for (l = 0; l <= a->n_layers; l++)
			if (a->sizes[l] != b->sizes[l])
				elog(ERROR, "rows not checked against init_model");
	}

	if (args->validation_fraction > 0.0)
		split_rows(set, rows, n_rows, args->validation_fraction, args->fit.seed, &split);
	else if (rows != NULL)
	{
		split.train = (int64 *) rows;
		split.n_train = n_rows;
	}

	if (split.train != NULL)
	{
		/* a subset (a fold, or rows beside a validation set): a normalized copy */
		FeatureStats *stats = args->init ? NULL : rows_stats(set, split.train, split.n_train);

		set_scaler(model, args, set, stats);
		data.x = train_normalized_rows(model, set, split.train, split.n_train);
		data.y = rows_labels(set, split.train, split.n_train);
		data.n_rows = split.n_train;
	}
	else
	{
		/* every row: normalize in place, no copy */
		set_scaler(model, args, set, set->stats);
		for (i = 0; i < set->n_rows; i++)
		{
			float	   *x = set->x + (Size) i * set->n_inputs;

			normalize_row(x, x, set->n_inputs, model->shift, model->scale, model->impute);
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		data.x = set->x;
		data.y = set->y;
		data.n_rows = set->n_rows;
	}
	if (split.n_validation > 0)
	{
		validation.x = train_normalized_rows(model, set, split.validation, split.n_validation);
		validation.y = rows_labels(set, split.validation, split.n_validation);
		validation.n_rows = split.n_validation;
	}
	if (set->regression)
	{
		/* the targets standardized by the training rows' mean and deviation */
		if (args->init)
		{
			model->target_shift = args->init->target_shift;
			model->target_scale = args->init->target_scale;
		}
		else
			fit_target_scaling(model, set, split.train, data.n_rows);
		data.t = train_standardized_targets(model, set, split.train, data.n_rows);
		if (split.n_validation > 0)
			validation.t = train_standardized_targets(model, set, split.validation,
													  split.n_validation);
	}

	class_count = palloc0(sizeof(int64) * set->n_classes);
	for (i = 0; i < data.n_rows; i++)
		class_count[data.y[i]]++;
	weights_per_class = args->init ? args->init->training.class_weights
		: train_class_weights(args->class_weights, set->n_classes,
							  set->class_names, class_count, data.n_rows);
	class_weight_f = palloc(sizeof(float) * set->n_classes);
	weighted = args->class_weights != NULL;
	for (c = 0; c < set->n_classes; c++)
	{
		class_weight_f[c] = (float) weights_per_class[c];
		/* a continued model: weighted as it was */
		weighted |= args->init && weights_per_class[c] != 1.0;
	}
	options.class_weight = weighted ? class_weight_f : NULL;

	train_hooks(&hooks, CurrentMemoryContext);
	first = args->init ? args->init->training.epochs_run : 0;
	if (bpnn_progress || args->live)
	{
		EpochReports *reports = palloc0(sizeof(EpochReports));

		if (bpnn_progress)
			reports->notices = train_progress_start(options.epochs - first, data.n_rows);
		reports->live = args->live;
		reports->first = first;
		hooks.after_epoch = report_progress;
		hooks.after_epoch_arg = reports;
	}
	live_progress_training(args->live, LIVE_TRAINING, data.n_rows, options.epochs - first);
	model->weights = MemoryContextAllocExtended(CurrentMemoryContext,
												sizeof(float) * nn_weight_count(&model->layout),
												MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	if (args->init)
	{
		memcpy(model->weights, args->init->weights,
			   sizeof(float) * nn_weight_count(&model->layout));
		warm_start_resume(args->init, args, &resume);
	}
	/* in parallel too, a warm start continues the one trainer's state */
	if (args->parallel)
		workers = parallel_fit_network(&model->layout, model->weights, &options, &data,
									   split.n_validation > 0 ? &validation : NULL,
									   set->n_classes, &hooks, args->init ? &resume : NULL,
									   &result);
	else
		fit_network(&model->layout, model->weights, &options, &data,
					split.n_validation > 0 ? &validation : NULL, &hooks,
					args->init ? &resume : NULL, &result);
	train_check_finite(model, &result);
	/* the trainer's state, when asked for or continued */
	if (args->keep_state || (args->init && args->init->state.present))
		warm_start_keep_state(model, &result);

	train_record(model, args, set, &result, data.n_rows, split.n_validation,
				 weights_per_class);
	model->training.workers = workers;
	return model;
}
