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
 * the model's classes by its bytes; the state is a real SQL type
 * (sgd_state.c), checked by every function that is handed one.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "aggregate.h"
#include "bpnn.h"
#include "predict.h"
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
		train_out_of_range("batch_size", psprintf("between 1 and %d", BPNN_MAX_UNITS));
	o->seed = (uint64) PG_GETARG_INT64(EPOCH_ARG_SEED);
	*buffer_rows = PG_GETARG_INT32(EPOCH_ARG_BUFFER_ROWS);
	if (*buffer_rows < o->batch_size)
		train_out_of_range("buffer_rows", "at least batch_size");
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
	LabelIds   *classes;
	int		   *class_len;		/* strlen of each class name */
} EpochCache;

/*
 * The decoded model and its scratch, kept per backend rather than in
 * fn_extra: Citus's worker_partial_agg calls the transition function
 * through a new FmgrInfo on every row, so fn_extra does not survive from
 * one row to the next there.  One model is kept (the last one seen), in a
 * context of its own under TopMemoryContext; a row with another model
 * replaces it.  A model is recognized by all its bytes (compared on every
 * row: a pointer seen before may hold another model by then).
 */
static MemoryContext epoch_cxt = NULL;
static MemoryContext epoch_cxt_pending = NULL;	/* a decode that failed */
static CachedModel epoch_cm;
static EpochCache *epoch_ec = NULL;

static CachedModel *
epoch_model(FunctionCallInfo fcinfo, EpochCache **ec_out)
{
	struct varlena *plain = PG_DETOAST_DATUM(PG_GETARG_DATUM(EPOCH_ARG_MODEL));
	Size		len = VARSIZE_ANY_EXHDR(plain);
	MemoryContext cxt,
				old;
	EpochCache *ec;
	int			c;

	if (epoch_cxt != NULL && epoch_cm.len == len &&
		memcmp(VARDATA_ANY(plain), epoch_cm.bytes, len) == 0)
	{
		*ec_out = epoch_ec;
		return &epoch_cm;
	}
	if (epoch_cxt_pending != NULL)
		MemoryContextDelete(epoch_cxt_pending);
	cxt = epoch_cxt_pending = AllocSetContextCreate(TopMemoryContext, "bpnn_train_epoch model",
													ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	memset(&epoch_cm, 0, sizeof(epoch_cm));
	if (epoch_cxt != NULL)
		MemoryContextDelete(epoch_cxt);
	epoch_cxt = NULL;
	epoch_cm.model = model_decode(VARDATA_ANY(plain), len, ERRCODE_DATA_CORRUPTED);
	epoch_cm.row = palloc(sizeof(double) * model_n_features(epoch_cm.model));
	epoch_cm.bytes = palloc(len);
	memcpy((char *) epoch_cm.bytes, VARDATA_ANY(plain), len);
	epoch_cm.len = len;
	memcpy(&epoch_cm.checksum, epoch_cm.bytes + 8, sizeof(uint64));
	epoch_cm.checksum = pg_ntoh64(epoch_cm.checksum);
	epoch_cm.cxt = cxt;

	ec = palloc0(sizeof(EpochCache));
	sgd_scratch_init(&ec->scratch, epoch_cm.model);
	ec->classes = label_ids_create(model_n_classes(epoch_cm.model));
	ec->class_len = palloc(sizeof(int) * model_n_classes(epoch_cm.model));
	for (c = 0; c < model_n_classes(epoch_cm.model); c++)
	{
		label_ids_add(ec->classes, epoch_cm.model->class_names[c], c);
		ec->class_len[c] = (int) strlen(epoch_cm.model->class_names[c]);
	}
	MemoryContextSwitchTo(old);
	epoch_ec = ec;
	epoch_cxt = cxt;
	epoch_cxt_pending = NULL;
	*ec_out = ec;
	return &epoch_cm;
}

/* the class of a label: its bytes against the few class names, else by hash */
static int32
label_class(const EpochCache *ec, const BpnnModel *m, text *label)
{
	const char *bytes = VARDATA_ANY(label);
	int			len = VARSIZE_ANY_EXHDR(label);
	int			c;
	char	   *name;
	int32		id;

	if (model_n_classes(m) <= 16)
	{
		for (c = 0; c < model_n_classes(m); c++)
			if (ec->class_len[c] == len && memcmp(m->class_names[c], bytes, len) == 0)
				return c;
	}
	else if ((id = label_ids_find(ec->classes, (name = text_to_cstring(label)))) >= 0)
	{
		pfree(name);
		return id;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("label \"%s\" is not a class of the model", text_to_cstring(label)),
			 errhint("The model's classes are listed by bpnn_classes(model).")));
	return -1;					/* not reached */
}

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
		Size		bytes = SGD_ROW_BYTES(model_n_features(cm->model)) * (Size) buffer_rows +
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
			(Size) s->n_weights != nn_weight_count(&cm->model->layout))
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
	sgd_labels(s)[row] = label_class(ec, cm->model, PG_GETARG_TEXT_PP(EPOCH_ARG_LABEL));
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
