/*
 * warm_start.c — continuing a model's training (see warm_start.h).
 *
 * A continued model keeps its network, scaler, classes (or a regressor's
 * target scaling), class weights and training settings; the call adds
 * epochs, on the same rows or new ones, and may change only the step
 * settings (learning_rate, momentum, weight_decay, batch_size, patience).
 * An argument left at its default takes the model's value: SQL cannot
 * tell a default from the same value given, so only a different value is
 * a conflict.  With the trainer's state kept in the model (keep_state,
 * format 5), continuing for k epochs gives the model that n + k epochs in
 * one call give, bit for bit, on the same rows with the same settings
 * (and, with bpnn.parallel_training, the same planned workers).
 * A continued model keeps the state if its init_model had it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "model_json.h"
#include "warm_start.h"

PG_FUNCTION_INFO_V1(bpnn_drop_state);

/* ---------- the model argument ---------- */

/* init_model given as a bpnn_model argument, decoded and validated */
BpnnModel *
warm_start_model_from_datum(Datum value)
{
	struct varlena *raw = PG_DETOAST_DATUM(value);

	/* a user-supplied value: decoded and validated fully, as every model argument */
	return model_decode(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), ERRCODE_DATA_CORRUPTED);
}

/* bpnn_fit's "init_model" option: the model's JSON document (or its text form) */
BpnnModel *
warm_start_model_from_jsonb(const JsonbValue *value)
{
	if (value->type == jbvString)
		return model_from_json(pnstrdup(value->val.string.val, value->val.string.len));
	if (value->type == jbvBinary && JsonContainerIsObject(value->val.binary.data))
		return model_from_jsonb(JsonbValueToJsonb((JsonbValue *) value));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the bpnn_fit option \"init_model\" must be a model"),
			 errhint("Pass the model's document, e.g. jsonb_build_object('init_model', m::jsonb).")));
}

/* ---------- the settings ---------- */

static void conflict(const char *arg, const char *model_value, const char *given) pg_attribute_noreturn();

/* the error for a setting that differs from the continued model's */
static void
conflict(const char *arg, const char *model_value, const char *given)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s conflicts with init_model", arg),
			 errdetail("The model was trained with %s %s; the call asks for %s.",
					   arg, model_value, given),
			 errhint("Leave %s out: a continued model keeps its network and settings.", arg)));
}

/* the hidden layer sizes of a layout, as the SQL array literal a user would write */
static char *
hidden_text(const int *sizes, int n)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < n; i++)
		appendStringInfo(&buf, i ? ",%d" : "%d", sizes[i]);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* a setting that fixes the network: the model's unless given, and never another */
static int
fixed(int given, int deflt, int model, const char *arg, const char *model_name,
	  const char *given_name)
{
	if (given != deflt && given != model)
		conflict(arg, model_name, given_name);
	return model;
}

/* the name of a BpnnMissing value, as the missing argument spells it */
static const char *
missing_name(int missing)
{
	return missing == BPNN_MISSING_IMPUTE ? "impute" : "skip";
}

/* a step setting: the model's unless given */
#define STEP(given, deflt, model) \
	do { \
		if ((given) == (deflt)) \
			(given) = (model); \
	} while (0)

/* the continued model's fixed settings into args (an argument at its default takes the model's) */
void
warm_start_args(TrainArgs *args, const BpnnModel *init)
{
	const BpnnTrainingInfo *t = &init->training;
	const NnLayout *layout = &init->layout;
	int			n_hidden = layout->n_layers - 1,
				l;
	bool		regression = init->task == BPNN_TASK_REGRESSION;

	/* hidden: the default is {64} */
	if (!(args->n_hidden == 1 && args->hidden[0] == 64) &&
		(args->n_hidden != n_hidden ||
		 memcmp(args->hidden, &layout->sizes[1], sizeof(int) * n_hidden) != 0))
		conflict("hidden", hidden_text(&layout->sizes[1], n_hidden),
				 hidden_text(args->hidden, args->n_hidden));
	args->n_hidden = n_hidden;
	for (l = 0; l < n_hidden; l++)
		args->hidden[l] = layout->sizes[l + 1];

	if (args->regression != regression && args->regression)
		conflict("task", "classification", "regression");
	args->regression = regression;
	args->activation = (NnActivation)
		fixed(args->activation, NN_ACT_BIPOLAR_SIGMOID, layout->hidden_act, "activation",
			  nn_activation_name(layout->hidden_act), nn_activation_name(args->activation));
	args->loss = (NnLoss)
		fixed(args->loss, NN_LOSS_SQUARED_ERROR, layout->loss, "loss",
			  nn_loss_name(layout->loss), nn_loss_name(args->loss));
	args->normalization = (NormMethod)
		fixed(args->normalization, NORM_ZSCORE, init->normalization, "normalization",
			  norm_method_name(init->normalization), norm_method_name(args->normalization));
	args->missing = (BpnnMissing)
		fixed(args->missing, BPNN_MISSING_SKIP, init->missing, "missing",
			  missing_name(init->missing), missing_name(args->missing));
	args->fit.optimizer = (FitOptimizer)
		fixed(args->fit.optimizer, FIT_MOMENTUM, t->optimizer, "optimizer",
			  fit_optimizer_name(t->optimizer), fit_optimizer_name(args->fit.optimizer));
	if (args->fit.seed != 1 && args->fit.seed != (uint64) t->seed)
		conflict("seed", psprintf(INT64_FORMAT, t->seed),
				 psprintf(INT64_FORMAT, (int64) args->fit.seed));
	args->fit.seed = (uint64) t->seed;
	if (args->fit.init_range != 0.1 && args->fit.init_range != t->init_range)
		conflict("init_range", psprintf("%g", t->init_range),
				 psprintf("%g", args->fit.init_range));
	args->fit.init_range = t->init_range;
	if (args->validation_fraction != 0.0 &&
		args->validation_fraction != t->validation_fraction)
		conflict("validation_fraction", psprintf("%g", t->validation_fraction),
				 psprintf("%g", args->validation_fraction));
	args->validation_fraction = t->validation_fraction;
	if (args->class_weights != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("class_weights conflicts with init_model"),
				 errdetail("A continued model keeps the class weights it was trained with."),
				 errhint("Leave class_weights out.")));
	if (args->exclude != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("exclude does not apply with init_model"),
				 errdetail("A continued model reads the columns it was trained on.")));

	STEP(args->fit.learning_rate, 0.2, t->learning_rate);
	STEP(args->fit.momentum, 0.7, t->momentum);
	STEP(args->fit.weight_decay, 0.0, t->weight_decay);
	STEP(args->fit.batch_size, 32, t->batch_size);
	STEP(args->fit.patience, 10, t->patience);
	/* the model's values (from a user-supplied model) within bpnn_train's ranges too */
	train_check_step(args->fit.learning_rate, args->fit.momentum, args->fit.weight_decay);

	/* the model's columns, unless features names them (the layout is checked) */
	if (args->features == NULL)
	{
		Datum	   *names = palloc(sizeof(Datum) * init->n_columns);
		int			c;

		for (c = 0; c < init->n_columns; c++)
			names[c] = CStringGetTextDatum(init->column_names[c]);
		args->features = construct_array(names, init->n_columns, TEXTOID, -1, false,
										 TYPALIGN_INT);
	}
	args->max_classes = Max(args->max_classes, model_n_classes(init));

	/* epochs adds to the epochs the model was asked for */
	if ((int64) t->epochs + args->fit.epochs > BPNN_MAX_EPOCHS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a model is trained for at most %d epochs", BPNN_MAX_EPOCHS),
				 errdetail("init_model was trained for %d epochs; the call adds %d.",
						   t->epochs, args->fit.epochs)));
	args->fit.epochs += t->epochs;
	args->init = init;
}

/* ---------- the rows ---------- */

/* a column kind in words, for the layout errors */
static const char *
kind_text(uint8 kind)
{
	return kind == BPNN_COLUMN_NUMBER ? "a number" :
		kind == BPNN_COLUMN_ARRAY ? "an array of numbers" : "text";
}

static void layout_differs(const char *detail) pg_attribute_noreturn();

/* the error for rows that do not match the continued model's layout */
static void
layout_differs(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("the rows do not have the feature layout of init_model"),
			 errdetail_internal("%s", detail),
			 errhint("Continue a model on rows with the columns, kinds and text values it was trained on, or train a new model.")));
}

/* the first value of one list that the other lacks (both sorted alike), or NULL */
static const char *
first_missing(char **from, int n_from, char **in, int n_in)
{
	int			i,
				j;

	for (i = 0; i < n_from; i++)
	{
		for (j = 0; j < n_in; j++)
			if (strcmp(from[i], in[j]) == 0)
				break;
		if (j == n_in)
			return from[i];
	}
	return NULL;
}

/* the scanned columns against the model's: names, kinds and widths, in order */
static void
check_columns(const BpnnModel *m, const TrainingSet *set)
{
	int			c;

	for (c = 0; c < Max(m->n_columns, set->n_columns); c++)
	{
		const char *name;
		const char *value;

		CHECK_FOR_INTERRUPTS();
		if (c >= set->n_columns || c >= m->n_columns)
			layout_differs(psprintf("The rows have %d feature columns; the model has %d.",
									set->n_columns, m->n_columns));
		name = m->column_names[c];
		if (strcmp(set->column_names[c], name) != 0)
			layout_differs(psprintf("Feature column %d is \"%s\"; the model's is \"%s\".",
									c + 1, set->column_names[c], name));
		if (set->column_kinds[c] != m->column_kinds[c])
			layout_differs(psprintf("Column \"%s\" is %s; the model takes it as %s.",
									name, kind_text(set->column_kinds[c]),
									kind_text(m->column_kinds[c])));
		if (m->column_kinds[c] != BPNN_COLUMN_CATEGORY)
		{
			if (set->column_widths[c] != m->column_widths[c])
				layout_differs(psprintf("Column \"%s\" has %d elements; the model's has %d.",
										name, set->column_widths[c], m->column_widths[c]));
			continue;
		}
		value = first_missing(set->categories[c], set->column_widths[c],
							  m->categories[c], m->column_widths[c]);
		if (value != NULL)
			layout_differs(psprintf("Column \"%s\" has the value \"%s\", which the model does not know.",
									name, value));
		/* values of the model's that the rows lack: widen_categories */
	}
}

/*
 * Rows whose text columns hold some of the model's values only: their
 * one-hot inputs put where the model has them (the others 0), so that
 * the rows have the model's inputs
 */
static void
widen_categories(const BpnnModel *m, TrainingSet *set)
{
	int			n_in = model_n_features(m),
				c,
				k,
				so = 0,
				mo = 0;
	int		   *to = palloc(sizeof(int) * Max(set->n_inputs, 1));
	Size		bytes = sizeof(float) * (Size) n_in * (Size) set->n_rows;
	float	   *x;
	int64		r;
	bool		same = true;

	for (c = 0; c < m->n_columns; c++)
	{
		for (k = 0; k < set->column_widths[c]; k++)
		{
			int			j = k;

			if (m->column_kinds[c] == BPNN_COLUMN_CATEGORY)
				for (j = 0; j < m->column_widths[c]; j++)
					if (strcmp(set->categories[c][k], m->categories[c][j]) == 0)
						break;
			to[so + k] = mo + j;
			same &= so + k == mo + j;
		}
		so += set->column_widths[c];
		mo += m->column_widths[c];
	}
	if (same && set->n_inputs == n_in)
		return;
	if (bytes > (Size) bpnn_memory_limit_kb * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the rows with the model's one-hot inputs exceed bpnn.memory_limit"),
				 errdetail("They take %zu kB as float4; bpnn.memory_limit is %d kB.",
						   bytes / 1024, bpnn_memory_limit_kb)));
	x = MemoryContextAllocExtended(CurrentMemoryContext, Max(bytes, 1),
								   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (r = 0; r < set->n_rows; r++)
	{
		const float *src = set->x + (Size) r * set->n_inputs;
		float	   *dst = x + (Size) r * n_in;
		int			i;

		for (i = 0; i < set->n_inputs; i++)
			dst[to[i]] = src[i];
		if ((r & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	set->x = x;
	set->n_inputs = n_in;
	set->feature_names = m->feature_names;
	set->column_widths = m->column_widths;
	set->categories = m->categories;
	set->stats = NULL;			/* a continued model keeps its scaler */
}

/* the scanned rows against the continued model: layout, categories and classes */
void
warm_start_check_set(const BpnnModel *init, TrainingSet *set)
{
	int			n_classes = model_n_classes(init);
	int32	   *new_id;
	LabelIds   *ids;
	int64		r;
	int			c;

	check_columns(init, set);
	widen_categories(init, set);
	if (init->task == BPNN_TASK_REGRESSION)
	{
		if (set->n_classes != n_classes)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the label has %d values per row, and init_model predicts %d",
							set->n_classes, n_classes)));
		return;
	}

	/* the rows' classes (a subset of the model's) renumbered as the model's */
	ids = label_ids_create(n_classes);
	for (c = 0; c < n_classes; c++)
		label_ids_add(ids, init->class_names[c], c);
	new_id = palloc(sizeof(int32) * set->n_classes);
	for (c = 0; c < set->n_classes; c++)
	{
		new_id[c] = label_ids_find(ids, set->class_names[c]);
		if (new_id[c] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("label \"%s\" is not a class of init_model", set->class_names[c]),
					 errdetail("A model's classes are fixed when it is first trained; it has %d.",
							   n_classes),
					 errhint("Train a new model on every class (without init_model), or leave the rows of new classes out.")));
	}
	for (r = 0; r < set->n_rows; r++)
	{
		set->y[r] = new_id[set->y[r]];
		if ((r & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	set->n_classes = n_classes;
	set->class_names = init->class_names;
}

/* ---------- the trainer's state ---------- */

/* where the trainer picks up: the model's epochs, optimizer state and early-stopping record */
void
warm_start_resume(const BpnnModel *init, const TrainArgs *args, FitResume *resume)
{
	const BpnnTrainingInfo *t = &init->training;

	memset(resume, 0, sizeof(*resume));
	resume->epochs_done = t->epochs_run;
	resume->epoch_loss = t->epoch_loss;
	if (t->validation_fraction > 0.0 && t->best_epoch > 0)
	{
		resume->best_epoch = t->best_epoch;
		resume->validation_loss = t->validation_loss;
	}
	if (init->state.present)
	{
		resume->step = (long) init->state.step;
		resume->state1 = init->state.first;
		resume->state2 = init->state.second;
		resume->last = init->state.last;
	}
	else
		ereport(NOTICE,
				(errmsg("init_model has no trainer state: the optimizer starts afresh"),
				 errdetail("The model was trained without keep_state => true (or by bpnn before 0.4.0, or passed through bpnn_drop_state); its weights go on from epoch %d, but not as one longer training would.",
						   t->epochs_run),
				 errhint("Train with keep_state => true to continue exactly.")));
	if (resume->best_epoch > 0 && t->epochs_run - t->best_epoch >= args->fit.patience)
		ereport(NOTICE,
				(errmsg("init_model had stopped early: no epochs were run"),
				 errdetail("Its validation loss last improved at epoch %d of %d; patience is %d.",
						   t->best_epoch, t->epochs_run, args->fit.patience),
				 errhint("Pass a larger patience to train on.")));
}

/* keep_state => true: the trainer's state after training, stored in the model */
void
warm_start_keep_state(BpnnModel *model, const FitResult *result)
{
	if (result->state1 == NULL)
		return;
	model->state.present = true;
	model->state.step = result->step;
	model->state.first = result->state1;
	model->state.second = result->state2;
	model->state.last = result->last;
}

/* ---------- bpnn_drop_state ---------- */

/* the model without its trainer state: smaller, the same predictions */
Datum
bpnn_drop_state(PG_FUNCTION_ARGS)
{
	BpnnModel  *m = warm_start_model_from_datum(PG_GETARG_DATUM(0));

	memset(&m->state, 0, sizeof(m->state));
	PG_RETURN_POINTER(model_encode(m));
}
