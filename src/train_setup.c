/*
 * train_setup.c — what both training drivers share, below them: reading
 * the training arguments, the model's layout, scaler and class weights,
 * the size check, the training record, the divergence check, and the
 * bpnn.progress reports.  The in-memory driver (train_memory.c) and the
 * streaming driver (train_stream.c) use it; train_entry.c picks the driver.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "bpnn.h"
#include "train_setup.h"


const char *const train_arg_names[TRAIN_ARG_COUNT] = {
	"features", "hidden", "epochs", "learning_rate", "momentum",
	"batch_size", "activation", "normalization", "init_range", "seed",
	"loss", "optimizer", "weight_decay", "validation_fraction", "patience",
	"class_weights", "missing", "exclude", "max_classes", "task"
};

/*
 * The defaults of bpnn_train's arguments in the install script, as JSON,
 * for bpnn_fit's options (sql/group.sql shows that both train alike)
 */
const char *const train_arg_defaults =
"{\"hidden\": [64], \"epochs\": 200, \"learning_rate\": 0.2, \"momentum\": 0.7, "
"\"batch_size\": 32, \"activation\": \"bipolar_sigmoid\", \"normalization\": \"zscore\", "
"\"init_range\": 0.1, \"seed\": 1, \"loss\": \"squared_error\", \"optimizer\": \"momentum\", "
"\"weight_decay\": 0, \"validation_fraction\": 0, \"patience\": 10, \"missing\": \"skip\", "
"\"max_classes\": " CppAsString2(TRAIN_DEFAULT_MAX_CLASSES) ", \"task\": \"classification\"}";

/* an error if argument arg (named name) is NULL */
static void
require(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

/* an error: integer argument arg must be between min and max */
void
train_out_of_range(const char *arg, int min, int max)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be between %d and %d", arg, min, max)));
}

/* learning_rate, momentum and weight_decay within their ranges, or an error */
void
train_check_step(double learning_rate, double momentum, double weight_decay)
{
	if (!(learning_rate > 0.0 && learning_rate <= 1000.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("learning_rate must be greater than 0 and at most 1000")));
	if (!(momentum >= 0.0 && momentum < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("momentum must be at least 0 and less than 1")));
	if (!(weight_decay >= 0.0 && weight_decay <= 1000.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight_decay must be at least 0 and at most 1000")));
}

/* the hidden layer sizes from an int[] argument, each checked */
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
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("each hidden layer size must be between 1 and %d", BPNN_MAX_UNITS)));
		args->hidden[i] = DatumGetInt32(sizes[i]);
	}
	args->n_hidden = n;
}

/* an error for each argument that has no meaning for a regressor */
static void
check_regression_args(const TrainArgs *args)
{
	if (args->class_weights != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("class_weights does not apply to task => 'regression'"),
				 errdetail("A regressor has no classes to weight.")));
	if (args->max_classes != TRAIN_DEFAULT_MAX_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_classes does not apply to task => 'regression'"),
				 errdetail("A regressor predicts the label's value, not one of its distinct values.")));
	if (args->loss != NN_LOSS_SQUARED_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("loss \"%s\" does not apply to task => 'regression'",
						nn_loss_name(args->loss)),
				 errdetail("A regressor has a linear output and minimizes the squared error.")));
}

/* an error: what does not train regressors yet */
void
train_args_read(FunctionCallInfo fcinfo, int first, TrainArgs *args)
{
	char	   *name;
	int			arg;

	/*
	 * The declarations of 0.3.0 and before end at missing: until ALTER
	 * EXTENSION bpnn UPDATE replaces them, their calls reach this library
	 * without exclude and max_classes, which then take their defaults
	 */
	bool		since_0_4 = PG_NARGS() >= first + TRAIN_ARG_MAX_CLASSES + 1;
	/* task came later in 0.4.0's development: the same for its declarations */
	bool		with_task = PG_NARGS() >= first + TRAIN_ARG_COUNT;
	int			last = with_task ? TRAIN_ARG_COUNT : since_0_4 ? TRAIN_ARG_MAX_CLASSES + 1 : TRAIN_ARG_MISSING + 1;

	if (PG_NARGS() < first + TRAIN_ARG_MISSING + 1)
		elog(ERROR, "training function called with %d arguments", PG_NARGS());
	memset(args, 0, sizeof(*args));
	require(fcinfo, 0, "source");
	require(fcinfo, 1, "label_col");
	for (arg = TRAIN_ARG_HIDDEN; arg < last; arg++)
		if (arg != TRAIN_ARG_CLASS_WEIGHTS && arg != TRAIN_ARG_EXCLUDE)
			require(fcinfo, first + arg, train_arg_names[arg]);

	args->source = PG_GETARG_OID(0);
	args->label_column = text_to_cstring(PG_GETARG_TEXT_PP(1));
	args->features = PG_ARGISNULL(first + TRAIN_ARG_FEATURES) ? NULL
		: PG_GETARG_ARRAYTYPE_P(first + TRAIN_ARG_FEATURES);
	read_hidden(PG_GETARG_ARRAYTYPE_P(first + TRAIN_ARG_HIDDEN), args);

	args->fit.epochs = PG_GETARG_INT32(first + TRAIN_ARG_EPOCHS);
	if (args->fit.epochs < 1 || args->fit.epochs > BPNN_MAX_EPOCHS)
		train_out_of_range("epochs", 1, BPNN_MAX_EPOCHS);
	args->fit.learning_rate = PG_GETARG_FLOAT8(first + TRAIN_ARG_LEARNING_RATE);
	args->fit.momentum = PG_GETARG_FLOAT8(first + TRAIN_ARG_MOMENTUM);
	train_check_step(args->fit.learning_rate, args->fit.momentum, 0.0);
	args->fit.batch_size = PG_GETARG_INT32(first + TRAIN_ARG_BATCH_SIZE);
	if (args->fit.batch_size < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be 0 (the whole data set) or a positive number of rows")));
	args->fit.init_range = PG_GETARG_FLOAT8(first + TRAIN_ARG_INIT_RANGE);
	if (!(args->fit.init_range > 0.0 && args->fit.init_range <= 100.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("init_range must be greater than 0 and at most 100")));
	args->fit.seed = (uint64) (int64) PG_GETARG_INT32(first + TRAIN_ARG_SEED);

	name = text_to_cstring(PG_GETARG_TEXT_PP(first + TRAIN_ARG_ACTIVATION));
	args->activation = nn_activation_from_name(name);
	if ((int) args->activation < 0 || args->activation >= NN_HIDDEN_ACT_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown activation \"%s\"", name),
				 errhint("Use bipolar_sigmoid, tanh, sigmoid or relu.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(first + TRAIN_ARG_NORMALIZATION));
	args->normalization = norm_method_from_name(name);
	if ((int) args->normalization < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown normalization \"%s\"", name),
				 errhint("Use decimal, minmax, zscore or none.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(first + TRAIN_ARG_LOSS));
	args->loss = nn_loss_from_name(name);
	if ((int) args->loss < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown loss \"%s\"", name),
				 errhint("Use squared_error or cross_entropy.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(first + TRAIN_ARG_OPTIMIZER));
	args->fit.optimizer = fit_optimizer_from_name(name);
	if ((int) args->fit.optimizer < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown optimizer \"%s\"", name),
				 errhint("Use momentum or adam.")));
	args->fit.weight_decay = PG_GETARG_FLOAT8(first + TRAIN_ARG_WEIGHT_DECAY);
	train_check_step(args->fit.learning_rate, args->fit.momentum, args->fit.weight_decay);
	args->validation_fraction = PG_GETARG_FLOAT8(first + TRAIN_ARG_VALIDATION_FRACTION);
	if (!(args->validation_fraction >= 0.0 && args->validation_fraction < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("validation_fraction must be at least 0 and less than 1")));
	args->fit.patience = PG_GETARG_INT32(first + TRAIN_ARG_PATIENCE);
	if (args->fit.patience < 1 || args->fit.patience > BPNN_MAX_EPOCHS)
		train_out_of_range("patience", 1, BPNN_MAX_EPOCHS);
	args->class_weights = PG_ARGISNULL(first + TRAIN_ARG_CLASS_WEIGHTS) ? NULL
		: text_to_cstring(PG_GETARG_TEXT_PP(first + TRAIN_ARG_CLASS_WEIGHTS));
	name = text_to_cstring(PG_GETARG_TEXT_PP(first + TRAIN_ARG_MISSING));
	if (strcmp(name, "skip") == 0)
		args->missing = BPNN_MISSING_SKIP;
	else if (strcmp(name, "impute") == 0)
		args->missing = BPNN_MISSING_IMPUTE;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown missing-value policy \"%s\"", name),
				 errhint("Use skip (rows with a NULL feature are left out) or impute.")));
	args->exclude = !since_0_4 || PG_ARGISNULL(first + TRAIN_ARG_EXCLUDE) ? NULL
		: PG_GETARG_ARRAYTYPE_P(first + TRAIN_ARG_EXCLUDE);
	args->max_classes = since_0_4 ? PG_GETARG_INT32(first + TRAIN_ARG_MAX_CLASSES)
		: TRAIN_DEFAULT_MAX_CLASSES;
	if (args->max_classes < 2 || args->max_classes > BPNN_MAX_CLASSES)
		train_out_of_range("max_classes", 2, BPNN_MAX_CLASSES);
	name = with_task ? text_to_cstring(PG_GETARG_TEXT_PP(first + TRAIN_ARG_TASK)) : "classification";
	if (strcmp(name, "regression") == 0)
		args->regression = true;
	else if (strcmp(name, "classification") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown task \"%s\"", name),
				 errhint("Use classification (the default) or regression.")));
	if (args->regression)
		check_regression_args(args);
}

/* refuse networks that would not fit in memory or in a stored value */
void
train_check_network_size(const NnLayout *layout, Size memory_limit)
{
	Size		weights = nn_weight_count(layout);

	/*
	 * Up to five arrays of weights (weights, gradient, two optimizer states,
	 * the best epoch's copy) and the chunk's scratch space
	 */
	if (weights > BPNN_MAX_WEIGHTS ||
		(weights * 5 + nn_workspace_floats(layout, FIT_CHUNK_ROWS)) * sizeof(float) > memory_limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the network is too large: it has %zu weights", weights),
				 errdetail("A model holds at most %d weights, and training needs 20 bytes per weight plus scratch space for %d rows within bpnn.memory_limit (%zu kB).",
						   BPNN_MAX_WEIGHTS, FIT_CHUNK_ROWS, memory_limit / 1024),
				 errhint("Use fewer or smaller hidden layers.")));
}

/* the training loop's allocator: zeroed memory in the training's context */
static void *
fit_alloc(void *arg, size_t bytes)
{
	return MemoryContextAllocExtended((MemoryContext) arg, bytes,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* the training loop's hook between chunks: CHECK_FOR_INTERRUPTS */
static void
fit_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * the training loop's hooks for the server: memory in cxt, interrupts
 * checked
 */
void
train_hooks(FitHooks *hooks, MemoryContext cxt)
{
	hooks->alloc = fit_alloc;
	hooks->between_chunks = fit_interrupts;
	hooks->after_epoch = NULL;
	hooks->arg = cxt;
	hooks->after_epoch_arg = NULL;
}

/* what bpnn.progress reports between epochs */
struct TrainProgress
{
	instr_time	start;
	int			epochs;
	int64		rows;
	int			every;
};

/* bpnn.progress's reporter for a training of epochs over rows */
TrainProgress *
train_progress_start(int epochs, int64 rows)
{
	TrainProgress *p = palloc0(sizeof(TrainProgress));

	INSTR_TIME_SET_CURRENT(p->start);
	p->epochs = epochs;
	p->rows = rows;
	p->every = Max(1, epochs / 10);
	return p;
}

/* a NOTICE after the first epoch, each tenth of the epochs and the last */
void
train_progress_report(TrainProgress *p, int epoch, double mean_loss, double accuracy)
{
	instr_time	now;
	double		seconds;

	if (epoch != 0 && (epoch + 1) % p->every != 0 && epoch + 1 != p->epochs)
		return;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, p->start);
	seconds = INSTR_TIME_GET_DOUBLE(now);
	ereport(NOTICE,
			(accuracy >= 0.0 ?
			 errmsg("epoch %d of %d: loss %.6g, training accuracy %.4f", epoch + 1,
					p->epochs, mean_loss, accuracy) :
			 errmsg("epoch %d of %d: loss %.6g", epoch + 1, p->epochs, mean_loss),
			 errdetail("%.1f s elapsed, %.0f rows per second.", seconds,
					   seconds > 0 ? (double) p->rows * (epoch + 1) / seconds : 0.0)));
}

/* did training stay finite (it diverges when the learning rate is too high)? */
void
train_check_finite(const BpnnModel *model, const FitResult *result)
{
	Size		n = nn_weight_count(&model->layout);
	bool		finite = isfinite(result->final_loss);
	Size		i;

	for (i = 0; finite && i < n; i++)
		finite = isfinite(model->weights[i]);
	for (i = 0; finite && i < (Size) result->epochs_run; i++)
		finite = isfinite(result->epoch_loss[i]);
	if (!finite)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("training diverged: the weights are no longer finite"),
				 errhint("Lower learning_rate, or normalize the inputs.")));
}

/* a NULL number becomes the mean of the training rows' values (0 if none) */
static void
impute_with_means(const FeatureStats *stats, int n, double *impute)
{
	int			f;

	for (f = 0; f < n; f++)
		impute[f] = stats[f].count > 0 ? stats[f].mean : 0.0;
}

/* one-hot inputs stay 0 or 1, whatever the normalization */
static void
keep_one_hot(const TrainingSet *set, BpnnModel *model)
{
	int			c,
				k,
				n = 0;

	for (c = 0; c < set->n_columns; c++)
		for (k = 0; k < set->column_widths[c]; k++, n++)
			if (set->column_kinds[c] == BPNN_COLUMN_CATEGORY)
			{
				model->shift[n] = 0.0;
				model->scale[n] = 1.0;
				model->impute[n] = 0.0; /* a NULL text value is no category */
			}
}


/*
 * per-class weights: 1 each, "balanced", or a JSON object of classes and
 * weights
 */
double *
train_class_weights(const char *spec, int n_classes, char **class_names,
					const int64 *count, int64 n_rows)
{
	double	   *w = palloc(sizeof(double) * n_classes);
	int			c;

	for (c = 0; c < n_classes; c++)
		w[c] = 1.0;
	if (spec == NULL)
		return w;
	if (strcmp(spec, "balanced") == 0)
	{
		for (c = 0; c < n_classes; c++)
			if (count[c] > 0)
				w[c] = (double) n_rows / ((double) n_classes * count[c]);
	}
	else
	{
		const char *p = spec;
		Jsonb	   *jb;
		LabelIds   *ids = label_ids_create(n_classes);
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;
		char	   *key = NULL;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		jb = *p == '{' ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(spec))) : NULL;
		if (jb == NULL || !JB_ROOT_IS_OBJECT(jb))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("class_weights must be 'balanced' or a JSON object of class weights"),
					 errhint("For example: class_weights => '{\"pos\": 3}'.")));
		for (c = 0; c < n_classes; c++)
			label_ids_add(ids, class_names[c], c);
		it = JsonbIteratorInit(&jb->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				key = pnstrdup(v.val.string.val, v.val.string.len);
			else if (tok == WJB_VALUE)
			{
				double		weight;

				c = label_ids_find(ids, key);
				if (c < 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("class_weights names \"%s\", which is not a class", key)));
				if (v.type != jbvNumeric)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("the weight of class \"%s\" must be a number", key)));
				weight = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															NumericGetDatum(v.val.numeric)));
				if (!(weight > 0.0 && weight <= 1e6))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("the weight of class \"%s\" must be greater than 0 and at most 1000000", key)));
				w[c] = weight;
			}
		}
	}
	return w;
}

/*
 * the model's layer sizes, activations and loss, from the arguments and the
 * set
 */
void
train_model_layout(BpnnModel *model, const TrainArgs *args, const TrainingSet *set)
{
	int			l;

	model->layout.n_layers = args->n_hidden + 1;
	model->layout.sizes[0] = set->n_inputs;
	for (l = 0; l < args->n_hidden; l++)
		model->layout.sizes[l + 1] = args->hidden[l];
	model->layout.sizes[args->n_hidden + 1] = set->n_classes;
	model->layout.hidden_act = args->activation;
	model->layout.loss = args->loss;
	/* a regressor's outputs are linear, whatever the hidden units */
	model->layout.output_act = args->regression ? NN_ACT_LINEAR
		: nn_output_activation_for(args->activation, args->loss);
	model->task = args->regression ? BPNN_TASK_REGRESSION : BPNN_TASK_CLASSIFICATION;
	train_check_network_size(&model->layout, (Size) bpnn_memory_limit_kb * 1024);

	model->normalization = args->normalization;
	model->feature_names = set->feature_names;
	model->class_names = set->class_names;
	model->n_columns = set->n_columns;
	model->column_names = set->column_names;
	model->column_widths = set->column_widths;
	model->column_kinds = set->column_kinds;
	model->categories = set->categories;
	model->n_skipped = set->n_skipped;
	model->skipped_names = set->skipped_names;
	model->skipped_reasons = set->skipped_reasons;
	model->missing = (uint8) args->missing;
	model->impute = palloc(sizeof(double) * set->n_inputs);
	model->shift = palloc(sizeof(double) * set->n_inputs);
	model->scale = palloc(sizeof(double) * set->n_inputs);
}

/*
 * the model's scalers, imputed values and one-hot columns, from the
 * statistics
 */
void
train_model_scaler(BpnnModel *model, const TrainingSet *set, const FeatureStats *stats)
{
	norm_fit(model->normalization, stats, set->n_inputs, model->shift, model->scale);
	impute_with_means(stats, set->n_inputs, model->impute);
	keep_one_hot(set, model);
}

/* the model's training record, from the arguments, the set and the result */
void
train_record(BpnnModel *model, const TrainArgs *args, const TrainingSet *set,
			 const FitResult *result, int64 rows_used, int64 validation_rows,
			 double *class_weights)
{
	model->training.source = set->source_name;
	model->training.label_column = args->label_column;
	model->training.epochs = args->fit.epochs;
	model->training.learning_rate = args->fit.learning_rate;
	model->training.momentum = args->fit.momentum;
	model->training.batch_size = args->fit.batch_size;
	model->training.init_range = args->fit.init_range;
	model->training.seed = (int64) args->fit.seed;
	model->training.optimizer = (uint8) args->fit.optimizer;
	model->training.weight_decay = args->fit.weight_decay;
	model->training.validation_fraction = args->validation_fraction;
	model->training.patience = args->fit.patience;
	model->training.class_weights = class_weights;
	model->training.rows_used = rows_used;
	model->training.validation_rows = validation_rows;
	model->training.rows_skipped = set->rows_skipped;
	model->training.epochs_run = result->epochs_run;
	model->training.best_epoch = result->best_epoch;
	model->training.validation_loss = result->validation_loss;
	model->training.final_loss = result->final_loss;
	model->training.train_accuracy = result->train_accuracy;
	model->training.n_epoch_loss = result->epochs_run;
	model->training.epoch_loss = result->epoch_loss;
}


/* how training scans its source, for these arguments */
ScanSpec *
train_scan_spec(const TrainArgs *args)
{
	ScanSpec   *spec = palloc0(sizeof(ScanSpec));

	spec->features = args->features;
	spec->exclude = args->exclude;
	spec->max_classes = args->max_classes;
	spec->memory_limit = (Size) bpnn_memory_limit_kb * 1024;
	spec->need_two_classes = !args->regression;
	spec->regression = args->regression;
	if (args->regression)
		spec->max_classes = 0;
	spec->impute = args->missing == BPNN_MISSING_IMPUTE;
	spec->model = NULL;
	return spec;
}

/*
 * the end of a training call: seconds, a last validation, the stored form in
 * caller_cxt
 */
struct varlena *
train_finish(BpnnModel *model, instr_time start, MemoryContext train_cxt,
			 MemoryContext caller_cxt)
{
	instr_time	elapsed;
	struct varlena *encoded;

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	model->training.seconds = INSTR_TIME_GET_DOUBLE(elapsed);
	model_validate(model, ERRCODE_INTERNAL_ERROR);
	MemoryContextSwitchTo(caller_cxt);
	encoded = model_encode(model);
	MemoryContextDelete(train_cxt);
	return encoded;
}
