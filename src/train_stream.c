/*
 * train_stream.c — training on tables larger than bpnn.memory_limit: the
 * batch learning of Jiang 2020 as a loop of aggregate scans, so memory stays
 * flat however many rows there are, and the planner may use parallel
 * workers for every scan.
 *
 *   1. one scan for the classes and the per-feature statistics:
 *        SELECT label::text COLLATE "C", bpnn_feature_stats(features, skip) ... GROUP BY 1
 *      (classes are told apart by their bytes, as on every path: labels.c);
 *      a regressor has the label's statistics (their means and
 *      deviations standardize the targets) as more features':
 *        SELECT count(*) FILTER (WHERE label IS NULL),
 *               [a float8[] label: the count of arrays of the wrong length],
 *               bpnn_feature_stats(features || label::float8[], skip)
 *                 FILTER (WHERE label IS NOT NULL) FROM source
 *      and the later scans pass the label as label::float8::text (or
 *      label::float8[]::text), which the aggregates read back and
 *      standardize (exactly: the scans run with extra_float_digits 1,
 *      whatever the session's)
 *   2. per epoch, with batch_size > 0: one scan of the training aggregate
 *      (sgd_aggregate.c), the current model passed as a constant; each
 *      parallel worker or Citus shard trains mini-batches on its rows and
 *      the partial models are averaged:
 *        SELECT bpnn_train_epoch($1, features, label::text, $2, ...) FROM source
 *      with batch_size 0 (the full batch of Jiang 2020): one scan for the
 *      gradient of the current weights, then one update (momentum rule or
 *      Adam, as in memory):
 *        SELECT bpnn_gradient($1, features, label::text) FROM source
 *   3. one last scan for the final loss and accuracy.
 *
 * Every query is built from catalog names (quote_identifier) and run with
 * SPI as the calling user, reading the snapshot of the bpnn_train call.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "gradient_aggregate.h"
#include "gradient_state.h"
#include "internal_query.h"
#include "labels.h"
#include "sgd_state.h"
#include "train_stream.h"

/*
 * The features of a row as one float8[], in the model's order: runs of
 * number columns as ARRAY[...] (booleans through int4: 0 or 1), array columns as they are (a NULL array as
 * NULL elements, so the row is skipped or imputed), joined by array_cat.
 */
static char *
features_expression(const TrainingSet *set)
{
	char	   *expr = NULL;
	int			c = 0;

	while (c < set->n_columns)
	{
		StringInfoData piece;

		initStringInfo(&piece);
		if (set->column_kinds[c] == BPNN_COLUMN_NUMBER)
		{
			appendStringInfoString(&piece, "ARRAY[");
			for (; c < set->n_columns && set->column_kinds[c] == BPNN_COLUMN_NUMBER; c++)
				appendStringInfo(&piece, set->column_boolean[c] ?
								 "%s((%s)::pg_catalog.int4)::pg_catalog.float8" :
								 "%s(%s)::pg_catalog.float8",
								 piece.len > 6 ? ", " : "", quote_identifier(set->column_names[c]));
			appendStringInfoString(&piece, "]::pg_catalog.float8[]");
		}
		else
		{
			appendStringInfo(&piece, "COALESCE((%s)::pg_catalog.float8[], "
							 "pg_catalog.array_fill(NULL::pg_catalog.float8, ARRAY[%d]))",
							 quote_identifier(set->column_names[c]), set->column_widths[c]);
			c++;
		}
		expr = expr == NULL ? piece.data
			: psprintf("pg_catalog.array_cat(%s, %s)", expr, piece.data);
	}
	return expr;
}

/* the source's rows with their label text, and the aggregate's schema */
typedef struct StreamQuery
{
	const char *schema;			/* quoted */
	const char *features;
	const char *label;			/* the label's text form (labels_sql_text) */
	const char *source;
} StreamQuery;

/* the classes, their row counts and the statistics of the usable rows */
static void
scan_statistics(const StreamQuery *q, const TrainArgs *args, TrainingSet *set,
				FeatureStats **stats, int64 **class_rows)
{
	char	   *sql = psprintf("SELECT %s, pg_catalog.count(*), %s.bpnn_feature_stats(%s, %s) "
						   "FROM %s GROUP BY 1",
						   q->label, q->schema, q->features,
						   args->missing == BPNN_MISSING_IMPUTE ? "false" : "true",
						   q->source);
	LabelClasses *classes = labels_begin(set->numeric_label, args->label_column);
	double	  **per_class;		/* by class id, in the result's order */
	int32	   *new_id;
	int		   *by_order;		/* class id of each class in training's order */
	int64	   *rows;
	int			n_classes = 0,
				c,
				i;
	uint64		r;
	MemoryContext mine = CurrentMemoryContext;

	internal_query_run(internal_query_prepare(sql, 0, NULL), NULL);
	/* SPI returns in its own context, which SPI_finish frees */
	MemoryContextSwitchTo(mine);
	per_class = palloc(sizeof(double *) * Max(SPI_processed, 1));
	set->rows_skipped = 0;
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		null_label,
					null_count,
					null_stats;
		Datum		label = SPI_getbinval(tuple, desc, 1, &null_label);
		int64		count = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &null_count));
		Datum		st = SPI_getbinval(tuple, desc, 3, &null_stats);
		ArrayType  *a;
		double	   *v;

		if (null_label || null_stats)
		{
			set->rows_skipped += count;
			continue;
		}
		a = DatumGetArrayTypePCopy(st);
		v = (double *) ARR_DATA_PTR(a);
		if (feature_stats_check(a) != set->n_inputs)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the rows of %s do not all have %d features", set->source_name,
							set->n_inputs),
					 errhint("Every array column must hold the same number of elements in every row.")));
		set->rows_skipped += (int64) v[1];
		if (v[0] < 1)
			continue;			/* every row of this label was skipped */
		/* the query groups by bytes, so each row is a new class */
		if (labels_add(classes, TextDatumGetCString(label)) != n_classes)
			elog(ERROR, "the statistics query returned a label twice");
		per_class[n_classes++] = v;
	}

	if (n_classes == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no usable rows in relation %s", set->source_name)));
	if (n_classes < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" has only one class, \"%s\"",
						args->label_column, labels_name(classes, 0)),
				 errdetail("A classifier needs at least two distinct labels.")));
	/* the classes in training's order, their statistics combined in it */
	set->class_names = labels_order(classes, &new_id);
	set->n_classes = n_classes;
	by_order = palloc(sizeof(int) * n_classes);
	for (i = 0; i < n_classes; i++)
		by_order[new_id[i]] = i;
	*stats = palloc(sizeof(FeatureStats) * set->n_inputs);
	feature_stats_init(*stats, set->n_inputs);
	rows = palloc0(sizeof(int64) * n_classes);
	set->n_rows = 0;
	for (c = 0; c < n_classes; c++)
	{
		i = by_order[c];
		feature_stats_combine(*stats, (FeatureStats *) (per_class[i] + 2), set->n_inputs);
		rows[c] = (int64) per_class[i][0];
		set->n_rows += rows[c];
	}
	labels_check_count(n_classes, args->max_classes, args->label_column, set->n_rows, set->numeric_label);
	*class_rows = rows;
	SPI_freetuptable(SPI_tuptable);
}

/*
 * A regressor's statistics scan: the features' statistics and the
 * targets' (the label's, or each element of a float8[] label, with the
 * NULL labels counted apart), and the rows used.  A label array must hold
 * one value per output and no NULL, as training in memory requires: the
 * scan counts the rows where it does not.
 */
static void
scan_regression_statistics(const StreamQuery *q, const TrainArgs *args, TrainingSet *set,
						   FeatureStats **stats, FeatureStats **targets)
{
	const char *label = quote_identifier(args->label_column);
	int			n_out = set->n_classes;
	/* a label array that is not n_out values without a NULL */
	char	   *bad = set->label_array ?
		psprintf("CASE WHEN pg_catalog.array_ndims(%s) IS DISTINCT FROM 1 "
				 "OR pg_catalog.array_length(%s, 1) <> %d THEN true "
				 "ELSE pg_catalog.array_position(%s, NULL) IS NOT NULL END",
				 label, label, n_out, label) : "false";
	char	   *sql = psprintf("SELECT pg_catalog.count(*) FILTER (WHERE %s IS NULL), "
						   "pg_catalog.count(*) FILTER (WHERE %s IS NOT NULL AND %s), "
						   "%s.bpnn_feature_stats(pg_catalog.array_cat(%s, "
						   "%s(%s)::pg_catalog.float8%s), %s) "
						   "FILTER (WHERE %s IS NOT NULL AND NOT %s) "
						   "FROM %s",
						   label, label, bad, q->schema, q->features,
						   set->label_array ? "" : "ARRAY[", label,
						   set->label_array ? "[]" : "]",
						   args->missing == BPNN_MISSING_IMPUTE ? "false" : "true",
						   label, bad, q->source);
	MemoryContext mine = CurrentMemoryContext;
	bool		null_count,
				null_stats;
	int64		null_labels,
				n_bad;
	Datum		st;
	ArrayType  *a;
	double	   *v;
	int			k;

	internal_query_run(internal_query_prepare(sql, 0, NULL), NULL);
	/* SPI returns in its own context, which SPI_finish frees */
	MemoryContextSwitchTo(mine);
	if (SPI_processed != 1)
		elog(ERROR, "the statistics query returned " UINT64_FORMAT " rows", SPI_processed);
	null_labels = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											  1, &null_count));
	n_bad = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										2, &null_count));
	if (n_bad > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" contains an array that is not %d values without a NULL",
						args->label_column, n_out),
				 errdetail("Rows with such a label: " INT64_FORMAT ". Every label array holds one value per output, as the first rows' do.",
						   n_bad)));
	st = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &null_stats);
	if (null_stats)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no usable rows in relation %s", set->source_name)));
	a = DatumGetArrayTypePCopy(st);
	SPI_freetuptable(SPI_tuptable);
	v = (double *) ARR_DATA_PTR(a);
	if (feature_stats_check(a) != set->n_inputs + n_out)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of %s do not all have %d features", set->source_name,
						set->n_inputs),
				 errhint("Every array column must hold the same number of elements in every row.")));
	*stats = palloc(sizeof(FeatureStats) * set->n_inputs);
	memcpy(*stats, v + 2, sizeof(FeatureStats) * set->n_inputs);
	*targets = palloc(sizeof(FeatureStats) * n_out);
	memcpy(*targets, (FeatureStats *) (v + 2) + set->n_inputs, sizeof(FeatureStats) * n_out);
	set->rows_skipped = null_labels + (int64) v[1];
	set->n_rows = (int64) (*targets)[0].count;
	/* no NULL element (counted above): every target counts every row */
	for (k = 1; k < n_out; k++)
		if ((int64) (*targets)[k].count != set->n_rows)
			elog(ERROR, "the statistics query counted the targets' values differently");
	if (set->n_rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no usable rows in relation %s", set->source_name)));
}

/*
 * A regressor's target scaling from the label's statistics: per output,
 * its mean and (population) standard deviation, as training in memory
 * computes them
 */
static void
stream_target_scaling(BpnnModel *model, const FeatureStats *targets, int n_out)
{
	int			k;

	model->target_shift = palloc(sizeof(double) * n_out);
	model->target_scale = palloc(sizeof(double) * n_out);
	for (k = 0; k < n_out; k++)
	{
		const FeatureStats *t = &targets[k];
		double		scale = t->m2 > 0.0 ? sqrt(t->m2 / t->count) : 1.0;

		if (!isfinite(scale) || !(scale > 0.0))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the label's values are too large to standardize"),
					 errhint("Scale the label down in a view.")));
		model->target_shift[k] = t->mean;
		model->target_scale[k] = scale;
	}
}

/* one scan: the gradient of the model's current weights over every row */
static BpnnState *
scan_gradient(SPIPlanPtr plan, const BpnnModel *model, MemoryContext result_cxt)
{
	struct varlena *encoded = model_encode(model);
	Datum		arg = PointerGetDatum(encoded);
	struct varlena *value = internal_query_value(plan, &arg, "gradient", result_cxt);
	BpnnState  *s;
	MemoryContext old;

	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the source has no rows any more")));
	old = MemoryContextSwitchTo(result_cxt);
	s = gradient_state_check((BpnnState *) value);
	MemoryContextSwitchTo(old);
	/* the sums are read as this model's: they must be its, and as many */
	if (s->model_checksum != model_stored_checksum(VARDATA(encoded), VARSIZE(encoded) - VARHDRSZ) ||
		(Size) s->n_weights != nn_weight_count(&model->layout) || s->buffered != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the gradient query returned a state that is not of the model being trained")));
	pfree(encoded);
	if (s->rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the source has no usable rows any more")));
	return s;
}

/*
 * Rows each partial shuffles at once: half of bpnn.memory_limit (a limit
 * per process: each parallel worker or shard has its own; the network and
 * its scratch take the rest), whole batches, no more than the rows.
 */
static int32
stream_buffer_rows(const BpnnModel *model, int batch, int64 n_rows)
{
	/* and the state (one value) under 1 GB: half of it for the buffer */
	Size		room = Min((Size) bpnn_memory_limit_kb * 1024, (Size) MaxAllocSize) / 2;
	Size		rows = room / SGD_ROW_BYTES(model_n_features(model), state_targets_of(model));
	Size		most = (Size) Min(n_rows, (int64) (INT32_MAX / 2));

	rows = Min(rows, most + batch - 1);
	rows -= rows % batch;
	return (int32) Max(rows, (Size) batch);
}

/* the argument types of the epoch query: the model, then bpnn_train_epoch's options */
#define EPOCH_ARGS 8

/* one scan of bpnn_train_epoch: the model's weights after one epoch */
static void
scan_epoch(SPIPlanPtr plan, BpnnModel *model, const TrainArgs *args,
		   int epoch, int32 buffer_rows, double *loss, double *accuracy)
{
	Datum		values[EPOCH_ARGS];
	struct varlena *result;
	BpnnModel  *trained;

	values[0] = PointerGetDatum(model_encode(model));
	values[1] = Float8GetDatum(args->fit.learning_rate);
	values[2] = Float8GetDatum(args->fit.momentum);
	values[3] = Int32GetDatum(args->fit.batch_size);
	values[4] = CStringGetTextDatum(fit_optimizer_name(args->fit.optimizer));
	values[5] = Float8GetDatum(args->fit.weight_decay);
	/*
	 * a new shuffle every epoch, the same for every run of these arguments
	 * (the aggregate seeds its generator at this seed's hash, so seeds a
	 * generator step apart give unrelated shuffles)
	 */
	values[6] = Int64GetDatum((int64) (args->fit.seed + (uint64) epoch * UINT64CONST(0x9E3779B97F4A7C15)));
	values[7] = Int32GetDatum(buffer_rows);
	result = internal_query_value(plan, values, "epoch", CurrentMemoryContext);
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the source has no usable rows any more")));
	trained = model_decode(VARDATA(result), VARSIZE(result) - VARHDRSZ, ERRCODE_DATA_CORRUPTED);
	/* read as this model's next weights: they must be of its shape */
	if (nn_weight_count(&trained->layout) != nn_weight_count(&model->layout) ||
		model_n_classes(trained) != model_n_classes(model) ||
		model_n_features(trained) != model_n_features(model))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the epoch query returned a model that is not of the model being trained")));
	memcpy(model->weights, trained->weights, sizeof(float) * nn_weight_count(&model->layout));
	*loss = trained->training.final_loss;
	*accuracy = trained->training.train_accuracy;
}

/* train a network by aggregate scans of the source, memory flat in its rows */
BpnnModel *
train_stream_model(const TrainArgs *args, TrainingSet *set, Oid model_type,
				   const char *schema)
{
	BpnnModel  *model = palloc0(sizeof(BpnnModel));
	StreamQuery q = {0};
	FeatureStats *stats = NULL,
			   *targets = NULL;
	int64	   *class_rows = NULL;
	char	   *gradient_sql,
			   *epoch_sql;
	SPIPlanPtr	gradient_plan,
				epoch_plan = NULL;
	Oid			epoch_types[EPOCH_ARGS] = {model_type, FLOAT8OID, FLOAT8OID, INT4OID,
	TEXTOID, FLOAT8OID, INT8OID, INT4OID};
	int32		buffer_rows = 0;
	size_t		n_weights;
	float	   *grad,
			   *state1,
			   *state2 = NULL;
	double	   *class_weights;
	FitResult	result = {0};
	TrainProgress *progress = NULL;
	MemoryContext train_cxt = CurrentMemoryContext,
				epoch_cxt,
				old;
	NnRng		rng = {0};
	BpnnState  *s;
	int			epoch,
				c,
				rc,
				guc_level = 0;
	size_t		w;

	/* the partial scan's rows are of no further use */
	if (set->x)
		pfree(set->x);
	if (set->y)
		pfree(set->y);
	set->x = NULL;
	set->y = NULL;

	q.schema = quote_identifier(schema);
	q.features = features_expression(set);
	/*
	 * a regressor's label as float8's text (float8[]'s, for a label array),
	 * which float8in reads back exactly
	 */
	q.label = set->regression ?
		psprintf("((%s)::pg_catalog.float8%s)::pg_catalog.text",
				 quote_identifier(args->label_column), set->label_array ? "[]" : "") :
		labels_sql_text(args->label_column);
	q.source = set->source_name;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	/*
	 * A regressor's label goes through float8's text form, which is exact
	 * only with extra_float_digits above 0: at -15 a session's labels were
	 * rounded to one digit and trained on silently.  Set for these scans
	 * (parallel workers take the setting along), as postgres_fdw's
	 * set_transmission_modes does; an error unwinds it with the
	 * transaction.
	 */
	if (set->regression)
	{
		guc_level = NewGUCNestLevel();
		(void) set_config_option("extra_float_digits", "1", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	/* the model lives on after SPI_finish: allocate in the caller's context */
	MemoryContextSwitchTo(train_cxt);
	if (set->regression)
		scan_regression_statistics(&q, args, set, &stats, &targets);
	else
		scan_statistics(&q, args, set, &stats, &class_rows);

	train_model_layout(model, args, set);
	train_model_scaler(model, set, stats);
	if (set->regression)
		stream_target_scaling(model, targets, set->n_classes);
	class_weights = train_class_weights(args->class_weights, set->n_classes,
										set->class_names, class_rows, set->n_rows);

	n_weights = nn_weight_count(&model->layout);
	model->weights = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * n_weights);
	grad = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * n_weights);
	state1 = MemoryContextAllocExtended(CurrentMemoryContext, sizeof(float) * n_weights,
										MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	if (args->fit.optimizer == FIT_ADAM)
		state2 = MemoryContextAllocExtended(CurrentMemoryContext, sizeof(float) * n_weights,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	nn_rng_seed(&rng, args->fit.seed);
	nn_init_weights(&model->layout, model->weights, args->fit.init_range, &rng);
	result.epoch_loss = palloc(sizeof(double) * args->fit.epochs);
	/* the record the scans' copies of the model carry */
	train_record(model, args, set, &result, set->n_rows, 0, class_weights);

	gradient_sql = psprintf("SELECT %s.bpnn_gradient($1, %s, %s) FROM %s",
							q.schema, q.features, q.label, q.source);
	gradient_plan = internal_query_prepare(gradient_sql, 1, &model_type);
	if (args->fit.batch_size > 0)
	{
		epoch_sql = psprintf("SELECT %s.bpnn_train_epoch($1, %s, %s, $2, $3, $4, $5, $6, $7, $8) FROM %s",
							 q.schema, q.features, q.label, q.source);
		epoch_plan = internal_query_prepare(epoch_sql, EPOCH_ARGS, epoch_types);
		buffer_rows = stream_buffer_rows(model, args->fit.batch_size, set->n_rows);
	}
	if (bpnn_progress)
		progress = train_progress_start(args->fit.epochs, set->n_rows);
	live_progress_training(args->live, LIVE_STREAMING, set->n_rows, args->fit.epochs);
	epoch_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn streaming epoch",
									  ALLOCSET_DEFAULT_SIZES);
	for (epoch = 0; epoch < args->fit.epochs; epoch++)
	{
		double	   *sums;
		double		accuracy;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(epoch_cxt);
		if (epoch_plan)
		{
			/* mini-batches on every partial, averaged */
			scan_epoch(epoch_plan, model, args, epoch, buffer_rows,
					   &result.epoch_loss[epoch], &accuracy);
			result.epochs_run = epoch + 1;
		}
		else
		{
			s = scan_gradient(gradient_plan, model, epoch_cxt);
			sums = gradient_state_sums(s);
			for (w = 0; w < n_weights; w++)
				grad[w] = (float) sums[w];
			result.epoch_loss[epoch] = s->loss / (double) s->rows;
			accuracy = (double) s->correct / (double) s->rows;
			result.epochs_run = epoch + 1;
			if (args->fit.optimizer == FIT_ADAM)
				nn_update_adam(n_weights, model->weights, grad, state1, state2, epoch + 1,
							   1.0 / (double) s->rows, args->fit.learning_rate,
							   args->fit.weight_decay);
			else
				nn_update(n_weights, model->weights, grad, state1, 1.0 / (double) s->rows,
						  args->fit.learning_rate, args->fit.momentum, args->fit.weight_decay);
		}
		/* a diverged model would not even pass as the next scan's argument */
		train_check_finite(model, &result);
		if (progress)
			train_progress_report(progress, epoch, result.epoch_loss[epoch], accuracy);
		live_progress_epoch(args->live, epoch, result.epoch_loss[epoch]);
		MemoryContextSwitchTo(old);
		MemoryContextReset(epoch_cxt);
	}

	/* the final weights' loss (unweighted, as in memory) and accuracy */
	live_progress_phase(args->live, LIVE_SCORING);
	old = MemoryContextSwitchTo(epoch_cxt);
	model->training.class_weights = palloc(sizeof(double) * set->n_classes);
	for (c = 0; c < set->n_classes; c++)
		model->training.class_weights[c] = 1.0;
	s = scan_gradient(gradient_plan, model, epoch_cxt);
	result.final_loss = s->loss / (double) s->rows;
	result.train_accuracy = (double) s->correct / (double) s->rows;
	set->n_rows = s->rows;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(epoch_cxt);
	if (guc_level > 0)
		AtEOXact_GUC(true, guc_level);
	SPI_finish();

	train_check_finite(model, &result);
	train_record(model, args, set, &result, set->n_rows, 0, class_weights);
	/* what was done: no validation split */
	model->training.validation_fraction = 0.0;
	return model;
}
