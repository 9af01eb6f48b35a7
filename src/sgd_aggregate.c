/*
 * sgd_aggregate.c — bpnn_train_epoch, training as an aggregate that learns:
 *
 *   bpnn_train_epoch(model, features, label text, learning_rate, momentum,
 *                    batch_size, optimizer, weight_decay, seed, buffer_rows)
 *     -> bpnn_model
 *
 * One scan is one epoch of mini-batch training from the model's weights.
 * The transition function normalizes each row with the model's scalers
 * into a buffer of buffer_rows rows; a full buffer is shuffled (seeded) and
 * trained on, batch after batch, by the kernel's step (fit_step: momentum
 * rule or Adam, the model's class weights) on the partial's own copy of the
 * weights.  The combine function averages two partials' weights and
 * optimizer moments, weighted by their rows (parallel SGD by model
 * averaging); the final function returns the model with the averaged
 * weights.  Each parallel worker or Citus shard trains on its own rows.
 *
 * Nothing is read from the call expression: the label is text, matched to
 * the model's classes by its bytes (a regressor's: read as a number, or a
 * float8[] of several outputs, and standardized with the model's target
 * scaling); the state is a real SQL type
 * (sgd_state.c), checked by every function that is handed one.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "gradient_aggregate.h"
#include "labels.h"
#include "model_row.h"
#include "scan.h"
#include "sgd_state.h"
#include "train_setup.h"

PG_FUNCTION_INFO_V1(bpnn_train_epoch_transfn);
PG_FUNCTION_INFO_V1(bpnn_train_epoch_combinefn);
PG_FUNCTION_INFO_V1(bpnn_train_epoch_finalfn);

/* the arguments of the transition function (0 is the state) */
enum
{
	EPOCH_ARG_STATE,
	EPOCH_ARG_MODEL,
	EPOCH_ARG_FEATURES,
	EPOCH_ARG_LABEL,
	EPOCH_ARG_LEARNING_RATE,
	EPOCH_ARG_MOMENTUM,
	EPOCH_ARG_BATCH_SIZE,
	EPOCH_ARG_OPTIMIZER,
	EPOCH_ARG_WEIGHT_DECAY,
	EPOCH_ARG_SEED,
	EPOCH_ARG_BUFFER_ROWS
};

static const char *const option_names[] = {
	NULL, NULL, NULL, NULL, "learning_rate", "momentum", "batch_size", "optimizer",
	"weight_decay", "seed", "buffer_rows"
};

/* the options of this row, checked */
static void
read_options(FunctionCallInfo fcinfo, SgdOptions *o, int32 *buffer_rows, bool with_optimizer)
{
	int			arg;

	for (arg = EPOCH_ARG_LEARNING_RATE; arg <= EPOCH_ARG_BUFFER_ROWS; arg++)
		if (PG_ARGISNULL(arg))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s of bpnn_train_epoch must not be NULL", option_names[arg])));
	o->learning_rate = PG_GETARG_FLOAT8(EPOCH_ARG_LEARNING_RATE);
	o->momentum = PG_GETARG_FLOAT8(EPOCH_ARG_MOMENTUM);
	o->weight_decay = PG_GETARG_FLOAT8(EPOCH_ARG_WEIGHT_DECAY);
	train_check_step(o->learning_rate, o->momentum, o->weight_decay);
	o->batch_size = PG_GETARG_INT32(EPOCH_ARG_BATCH_SIZE);
	if (o->batch_size < 1 || o->batch_size > BPNN_MAX_UNITS)
		train_out_of_range("batch_size", 1, BPNN_MAX_UNITS);
	o->seed = (uint64) PG_GETARG_INT64(EPOCH_ARG_SEED);
	*buffer_rows = PG_GETARG_INT32(EPOCH_ARG_BUFFER_ROWS);
	if (*buffer_rows < o->batch_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("buffer_rows must be at least batch_size")));
	if (with_optimizer)
	{
		char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(EPOCH_ARG_OPTIMIZER));

		o->optimizer = fit_optimizer_from_name(name);
		if ((int) o->optimizer < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown optimizer \"%s\"", name),
					 errhint("Use momentum or adam.")));
	}
}

/* per model: training scratch and the class names */
typedef struct EpochCache
{
	SgdScratch	scratch;
	ClassMatcher classes;
} EpochCache;

/*
 * The decoded models and their scratch, kept across rows (model_cache.c):
 * Citus's worker_partial_agg calls the transition function through a new
 * FmgrInfo on every row, so fn_extra does not survive from one row to the
 * next there.  The scratch hangs on the kept model (extra, in its context).
 */
static KeptModel epoch_models = KEPT_MODEL_INIT("bpnn_train_epoch models");

/*
 * the model of bpnn_train_epoch's argument, kept for the transaction, with
 * its cache
 */
static CachedModel *
epoch_model(FunctionCallInfo fcinfo, EpochCache **ec_out)
{
	CachedModel *cm = model_from_arg_kept(fcinfo, EPOCH_ARG_MODEL, &epoch_models);
	MemoryContext old;
	EpochCache *ec = (EpochCache *) cm->extra;

	if (ec == NULL)
	{
		old = MemoryContextSwitchTo(cm->cxt);
		ec = palloc0(sizeof(EpochCache));
		sgd_scratch_init(&ec->scratch, cm->model);
		labels_matcher_init(&ec->classes, cm->model->class_names, model_n_classes(cm->model));
		cm->extra = ec;
		MemoryContextSwitchTo(old);
	}
	*ec_out = ec;
	return cm;
}

/*
 * bpnn_train_epoch's transition function: buffer the row, train when the
 * buffer is full
 */
Datum
bpnn_train_epoch_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "bpnn_train_epoch");
	SgdState   *s = PG_ARGISNULL(EPOCH_ARG_STATE) ? NULL : PG_GETARG_SGD_STATE(EPOCH_ARG_STATE);
	CachedModel *cm;
	EpochCache *ec;
	SgdOptions	o;
	int32		buffer_rows;
	const double *values;
	int32		row;

	if (PG_ARGISNULL(EPOCH_ARG_MODEL))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the model of bpnn_train_epoch must not be NULL")));
	cm = epoch_model(fcinfo, &ec);
	read_options(fcinfo, &o, &buffer_rows, s == NULL);
	if (s == NULL)
	{
		MemoryContext old;
		Size		limit = (Size) bpnn_memory_limit_kb * 1024;
		Size		bytes = SGD_ROW_BYTES(model_n_features(cm->model), state_targets_of(cm->model)) * (Size) buffer_rows +
			sizeof(float) * nn_weight_count(&cm->model->layout) * 3 + cm->len;

		if (bytes > limit)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a training buffer of %d rows exceeds bpnn.memory_limit", buffer_rows),
					 errdetail("The buffer, the weights and the optimizer's moments take %zu kB; bpnn.memory_limit is %d kB.",
							   bytes / 1024, bpnn_memory_limit_kb),
					 errhint("Lower buffer_rows, or raise bpnn.memory_limit.")));
		old = MemoryContextSwitchTo(aggcxt);
		s = sgd_state_create(cm, &o, buffer_rows);
		MemoryContextSwitchTo(old);
	}
	else
	{
		sgd_state_check(s);
		/*
		 * The checksum names a model but is no proof of identity (two models
		 * of different shapes can share it): the buffer's row width and the
		 * weight count must be this model's too
		 */
		if (s->model_checksum != cm->checksum || s->model_len != (int32) cm->len ||
			s->n_features != model_n_features(cm->model) ||
			(Size) s->n_weights != nn_weight_count(&cm->model->layout) ||
			s->targets != state_targets_of(cm->model))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bpnn_train_epoch must be given the same model on every row")));
		if (s->capacity == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a finished bpnn_train_state takes no more rows"),
					 errdetail("Its rows were trained on and its buffer dropped when it was combined or written out.")));
		o.optimizer = (FitOptimizer) s->optimizer;
		if (!sgd_state_options_match(s, &o))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bpnn_train_epoch must be given the same options on every row")));
	}
	if (PG_ARGISNULL(EPOCH_ARG_FEATURES) || PG_ARGISNULL(EPOCH_ARG_LABEL))
	{
		s->skipped++;
		PG_RETURN_POINTER(s);
	}
	values = model_read_features(cm->model, PG_GETARG_ARRAYTYPE_P(EPOCH_ARG_FEATURES), cm->row);
	if (values == NULL)
	{
		s->skipped++;
		PG_RETURN_POINTER(s);
	}
	row = s->buffered;
	if (s->targets)
		labels_regression_targets(cm->model, PG_GETARG_TEXT_PP(EPOCH_ARG_LABEL),
								  sgd_targets(s) + (Size) row * s->targets, "bpnn_train_epoch");
	else
		sgd_labels(s)[row] = labels_matcher_find(&ec->classes, PG_GETARG_TEXT_PP(EPOCH_ARG_LABEL));
	model_normalize_features(cm->model, values,
							 sgd_buffer(s) + (Size) row * s->n_features);
	s->buffered++;
	if (s->buffered == s->capacity)
	{
		CHECK_FOR_INTERRUPTS();
		sgd_state_train_buffer(s, &ec->scratch, false);
	}
	PG_RETURN_POINTER(s);
}

/* strict: the executor passes a NULL state through */
Datum
bpnn_train_epoch_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "bpnn_train_epoch");
	SgdState   *a = PG_GETARG_SGD_STATE(0);
	SgdState   *b = PG_GETARG_SGD_STATE(1);
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	SgdState   *r = sgd_state_average(sgd_state_compact(a), sgd_state_compact(b));

	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(r);
}

/* the model with the epoch's weights; NULL when no row was trained on */
Datum
bpnn_train_epoch_finalfn(PG_FUNCTION_ARGS)
{
	SgdState   *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = sgd_state_compact(PG_GETARG_SGD_STATE(0));
	if (s->rows == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(model_encode(sgd_state_model(s)));
}
