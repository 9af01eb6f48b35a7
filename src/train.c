/*
 * train.c — bpnn_train(): checks the arguments, scans the source (scan.c),
 * normalizes (normalize.c), runs the training loop (fit.c) in a memory
 * context of its own, and packs the result into a bpnn_model (model.c).
 * train_model() is shared with cross-validation (evaluate.c).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "fit.h"
#include "train.h"

PG_FUNCTION_INFO_V1(bpnn_train);

/* positions of the training arguments, counted from the first of them */
enum
{
	ARG_FEATURES,
	ARG_HIDDEN,
	ARG_EPOCHS,
	ARG_LEARNING_RATE,
	ARG_MOMENTUM,
	ARG_BATCH_SIZE,
	ARG_ACTIVATION,
	ARG_NORMALIZATION,
	ARG_INIT_RANGE,
	ARG_SEED
};

static const char *const arg_names[] = {
	"features", "hidden", "epochs", "learning_rate", "momentum",
	"batch_size", "activation", "normalization", "init_range", "seed"
};

static void
require(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

static void
out_of_range(const char *arg, const char *range)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be %s", arg, range)));
}

static void
read_hidden(ArrayType *a, TrainArgs *args)
{
	Datum	   *sizes;
	bool	   *nulls;
	int			n,
				i;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("hidden must be a one-dimensional array")));
	deconstruct_array(a, INT4OID, 4, true, TYPALIGN_INT, &sizes, &nulls, &n);
	if (n > NN_MAX_HIDDEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hidden may name at most %d layers, not %d", NN_MAX_HIDDEN, n)));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("hidden must not contain NULL")));
		if (DatumGetInt32(sizes[i]) < 1 || DatumGetInt32(sizes[i]) > BPNN_MAX_UNITS)
			out_of_range("each hidden layer size", psprintf("between 1 and %d", BPNN_MAX_UNITS));
		args->hidden[i] = DatumGetInt32(sizes[i]);
	}
	args->n_hidden = n;
}

void
train_args_read(FunctionCallInfo fcinfo, int first, TrainArgs *args)
{
	char	   *name;
	int			arg;

	memset(args, 0, sizeof(*args));
	require(fcinfo, 0, "source");
	require(fcinfo, 1, "label_col");
	for (arg = ARG_HIDDEN; arg <= ARG_SEED; arg++)
		require(fcinfo, first + arg, arg_names[arg]);

	args->source = PG_GETARG_OID(0);
	args->label_column = text_to_cstring(PG_GETARG_TEXT_PP(1));
	args->features = PG_ARGISNULL(first + ARG_FEATURES) ? NULL
		: PG_GETARG_ARRAYTYPE_P(first + ARG_FEATURES);
	read_hidden(PG_GETARG_ARRAYTYPE_P(first + ARG_HIDDEN), args);

	args->fit.epochs = PG_GETARG_INT32(first + ARG_EPOCHS);
	if (args->fit.epochs < 1 || args->fit.epochs > BPNN_MAX_EPOCHS)
		out_of_range("epochs", psprintf("between 1 and %d", BPNN_MAX_EPOCHS));
	args->fit.learning_rate = PG_GETARG_FLOAT8(first + ARG_LEARNING_RATE);
	if (!(args->fit.learning_rate > 0.0 && args->fit.learning_rate <= 1000.0))
		out_of_range("learning_rate", "greater than 0 and at most 1000");
	args->fit.momentum = PG_GETARG_FLOAT8(first + ARG_MOMENTUM);
	if (!(args->fit.momentum >= 0.0 && args->fit.momentum < 1.0))
		out_of_range("momentum", "at least 0 and less than 1");
	args->fit.batch_size = PG_GETARG_INT32(first + ARG_BATCH_SIZE);
	if (args->fit.batch_size < 0)
		out_of_range("batch_size", "0 (the whole data set) or a positive number of rows");
	args->fit.init_range = PG_GETARG_FLOAT8(first + ARG_INIT_RANGE);
	if (!(args->fit.init_range > 0.0 && args->fit.init_range <= 100.0))
		out_of_range("init_range", "greater than 0 and at most 100");
	args->fit.seed = (uint64) (int64) PG_GETARG_INT32(first + ARG_SEED);

	name = text_to_cstring(PG_GETARG_TEXT_PP(first + ARG_ACTIVATION));
	args->activation = nn_activation_from_name(name);
	if ((int) args->activation < 0 || args->activation == NN_ACT_LINEAR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown activation \"%s\"", name),
				 errhint("Use bipolar_sigmoid, tanh, sigmoid or relu.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(first + ARG_NORMALIZATION));
	args->normalization = norm_method_from_name(name);
	if ((int) args->normalization < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown normalization \"%s\"", name),
				 errhint("Use decimal, minmax, zscore or none.")));
}

/* refuse networks that would not fit in memory or in a stored value */
static void
check_network_size(const NnLayout *layout, Size memory_limit)
{
	Size		weights = nn_weight_count(layout);
	Size		max_weights = (MaxAllocSize - 1024 * 1024) / sizeof(float);

	/* weights, gradient, previous gradient and the chunk's scratch space */
	if (weights > max_weights ||
		(weights * 3 + nn_workspace_floats(layout, FIT_CHUNK_ROWS)) * sizeof(float) > memory_limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the network is too large: it has %zu weights", weights),
				 errdetail("A model holds at most %zu weights, and training needs 12 bytes per weight plus scratch space for %d rows within bpnn.memory_limit (%zu kB).",
						   max_weights, FIT_CHUNK_ROWS, memory_limit / 1024),
				 errhint("Use fewer or smaller hidden layers.")));
}

static void *
fit_alloc(void *arg, size_t bytes)
{
	return MemoryContextAllocExtended((MemoryContext) arg, bytes,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void
fit_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

void
train_hooks(FitHooks *hooks, MemoryContext cxt)
{
	hooks->alloc = fit_alloc;
	hooks->between_chunks = fit_interrupts;
	hooks->after_epoch = NULL;
	hooks->arg = cxt;
}

/* x' = (x - shift) * scale, as predict does for one row */
static inline void
normalize_row(float *dst, const float *src, int n, const double *shift,
			  const double *scale)
{
	int			f;

	for (f = 0; f < n; f++)
		dst[f] = (float) (((double) src[f] - shift[f]) * scale[f]);
}

float *
normalized_rows(const BpnnModel *model, const TrainingSet *set,
				const int64 *rows, int64 n_rows)
{
	int			n = set->n_inputs;
	float	   *x = MemoryContextAllocHuge(CurrentMemoryContext,
										   sizeof(float) * (Size) n * (rows ? n_rows : set->n_rows));
	int64		i;

	for (i = 0; i < (rows ? n_rows : set->n_rows); i++)
	{
		normalize_row(x + (Size) i * n, set->x + (Size) (rows ? rows[i] : i) * n, n,
					  model->shift, model->scale);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return x;
}

/* did training stay finite (it diverges when the learning rate is too high)? */
static bool
all_finite(const BpnnModel *model, const FitResult *result)
{
	Size		n = nn_weight_count(&model->layout);
	Size		i;

	for (i = 0; i < n; i++)
		if (!isfinite(model->weights[i]))
			return false;
	for (i = 0; i < (Size) result->epochs_run; i++)
		if (!isfinite(result->epoch_loss[i]))
			return false;
	return isfinite(result->final_loss);
}

BpnnModel *
train_model(const TrainArgs *args, TrainingSet *set, const int64 *rows,
			int64 n_rows)
{
	BpnnModel  *model = palloc0(sizeof(BpnnModel));
	FeatureStats *stats = set->stats;
	FitData		data;
	FitHooks	hooks;
	FitResult	result;
	int			l;

	model->layout.n_layers = args->n_hidden + 1;
	model->layout.sizes[0] = set->n_inputs;
	for (l = 0; l < args->n_hidden; l++)
		model->layout.sizes[l + 1] = args->hidden[l];
	model->layout.sizes[args->n_hidden + 1] = set->n_classes;
	model->layout.hidden_act = args->activation;
	model->layout.output_act = nn_output_activation_for(args->activation);
	check_network_size(&model->layout, (Size) bpnn_memory_limit_kb * 1024);

	model->normalization = args->normalization;
	model->feature_names = set->feature_names;
	model->class_names = set->class_names;
	model->n_columns = set->n_columns;
	model->column_names = set->column_names;
	model->column_widths = set->column_widths;
	model->shift = palloc(sizeof(double) * set->n_inputs);
	model->scale = palloc(sizeof(double) * set->n_inputs);

	if (rows != NULL)
	{
		/* a subset (a cross-validation fold): its own statistics, and a copy */
		int64		i;
		double	   *row = palloc(sizeof(double) * set->n_inputs);

		stats = palloc(sizeof(FeatureStats) * set->n_inputs);
		feature_stats_init(stats, set->n_inputs);
		for (i = 0; i < n_rows; i++)
		{
			const float *src = set->x + (Size) rows[i] * set->n_inputs;

			for (l = 0; l < set->n_inputs; l++)
				row[l] = src[l];
			feature_stats_add(stats, row, set->n_inputs);
		}
		norm_fit(args->normalization, stats, set->n_inputs, model->shift, model->scale);
		data.x = normalized_rows(model, set, rows, n_rows);
		data.n_rows = n_rows;
		data.y = palloc(sizeof(int32) * n_rows);
		for (i = 0; i < n_rows; i++)
			((int32 *) data.y)[i] = set->y[rows[i]];
	}
	else
	{
		int64		i;

		norm_fit(args->normalization, stats, set->n_inputs, model->shift, model->scale);
		for (i = 0; i < set->n_rows; i++)
		{
			float	   *x = set->x + (Size) i * set->n_inputs;

			normalize_row(x, x, set->n_inputs, model->shift, model->scale);
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		data.x = set->x;
		data.y = set->y;
		data.n_rows = set->n_rows;
	}

	train_hooks(&hooks, CurrentMemoryContext);
	model->weights = fit_alloc(CurrentMemoryContext,
							   sizeof(float) * nn_weight_count(&model->layout));
	fit_network(&model->layout, model->weights, &args->fit, &data, &hooks, &result);
	if (!all_finite(model, &result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("training diverged: the weights are no longer finite"),
				 errhint("Lower learning_rate, or normalize the inputs.")));

	model->training.source = set->source_name;
	model->training.label_column = args->label_column;
	model->training.epochs = args->fit.epochs;
	model->training.learning_rate = args->fit.learning_rate;
	model->training.momentum = args->fit.momentum;
	model->training.batch_size = args->fit.batch_size;
	model->training.init_range = args->fit.init_range;
	model->training.seed = (int64) args->fit.seed;
	model->training.rows_used = data.n_rows;
	model->training.rows_skipped = set->rows_skipped;
	model->training.epochs_run = result.epochs_run;
	model->training.final_loss = result.final_loss;
	model->training.train_accuracy = result.train_accuracy;
	model->training.n_epoch_loss = result.epochs_run;
	model->training.epoch_loss = result.epoch_loss;
	return model;
}

Datum
bpnn_train(PG_FUNCTION_ARGS)
{
	TrainArgs	args;
	MemoryContext train_cxt,
				old;
	TrainingSet *set;
	BpnnModel  *model;
	instr_time	start,
				elapsed;
	struct varlena *encoded;

	INSTR_TIME_SET_CURRENT(start);
	train_args_read(fcinfo, 2, &args);

	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn training",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);

	set = scan_training_set(args.source, args.label_column, args.features,
							(Size) bpnn_memory_limit_kb * 1024, true);
	if (set->rows_skipped > 0)
		ereport(NOTICE,
				(errmsg("skipped " INT64_FORMAT " rows with a NULL label or feature",
						set->rows_skipped),
				 errdetail("Training used " INT64_FORMAT " rows.", set->n_rows)));
	model = train_model(&args, set, NULL, set->n_rows);

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	model->training.seconds = INSTR_TIME_GET_DOUBLE(elapsed);
	model_validate(model, ERRCODE_INTERNAL_ERROR);

	MemoryContextSwitchTo(old);
	encoded = model_encode(model);
	MemoryContextDelete(train_cxt);
	PG_RETURN_POINTER(encoded);
}
