/*
 * train_entry.c — bpnn_train(): checks the arguments, scans the source
 * (scan.c), and decides in this one place which driver trains: in memory
 * (train_memory.c) when the rows fit in bpnn.memory_limit, by aggregate scans
 * (train_stream.c) when they do not.  It packs the result into a bpnn_model,
 * and publishes its progress for other sessions (live_progress.c).
 * With init_model it continues that model (warm_start.c), in memory only.
 */
#include "postgres.h"

#include "fmgr.h"
#include "portability/instr_time.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "parallel.h"
#include "train_memory.h"
#include "train_stream.h"
#include "warm_start.h"

PG_FUNCTION_INFO_V1(bpnn_train);

/* NOTICEs of the rows training skipped or completed */
static void
train_report_rows(const TrainArgs *args, const TrainingSet *set)
{
	if (set->rows_skipped > 0)
		ereport(NOTICE,
				(args->missing == BPNN_MISSING_IMPUTE ?
				 errmsg("skipped " INT64_FORMAT " rows with a NULL label", set->rows_skipped) :
				 errmsg("skipped " INT64_FORMAT " rows with a NULL label or feature", set->rows_skipped),
				 errdetail("Training used " INT64_FORMAT " rows.", set->n_rows)));
	if (set->values_imputed > 0)
		ereport(NOTICE,
				(errmsg("imputed " INT64_FORMAT " NULL feature values", set->values_imputed),
				 errdetail("Numbers became their column's training mean; text became no category.")));
}

/* bpnn_train: train a model on a relation, in memory or by streaming */
Datum
bpnn_train(PG_FUNCTION_ARGS)
{
	TrainArgs	args = {0};
	MemoryContext train_cxt,
				old;
	TrainingSet *set;
	ScanSpec   *spec;
	BpnnModel  *model;
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	train_args_read(fcinfo, 2, &args);
	/* init_model and keep_state (0.4.0) come after all the training arguments */
	if (PG_NARGS() > 2 + TRAIN_ARG_COUNT && !PG_ARGISNULL(2 + TRAIN_ARG_COUNT))
		warm_start_args(&args, warm_start_model_from_datum(PG_GETARG_DATUM(2 + TRAIN_ARG_COUNT)));
	if (PG_NARGS() > 3 + TRAIN_ARG_COUNT)
	{
		if (PG_ARGISNULL(3 + TRAIN_ARG_COUNT))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("keep_state must not be NULL")));
		args.keep_state = PG_GETARG_BOOL(3 + TRAIN_ARG_COUNT);
	}
	args.live = live_progress_begin(LIVE_TRAIN, args.source, 0, 0);

	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn training",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);

	spec = train_scan_spec(&args);
	spec->stream_over_limit = args.init == NULL;
	/* the model has its classes: new rows may hold only some of them */
	spec->need_two_classes &= args.init == NULL;
	set = scan_training_set(args.source, args.label_column, spec);
	if (args.init)
		warm_start_check_set(args.init, set);
	if (set->over_limit)
	{
		ereport(NOTICE,
				(errmsg("training by streaming: training data exceeds bpnn.memory_limit (%d kB)",
						bpnn_memory_limit_kb),
				 args.fit.batch_size > 0 && args.validation_fraction > 0.0 ?
				 errdetail("Each epoch is one scan of bpnn_train_epoch: mini-batches of %d rows, shuffled within a buffer, on every parallel worker or shard, their models averaged; validation_fraction does not apply.",
						   args.fit.batch_size) :
				 args.fit.batch_size > 0 ?
				 errdetail("Each epoch is one scan of bpnn_train_epoch: mini-batches of %d rows, shuffled within a buffer, on every parallel worker or shard, their models averaged.",
						   args.fit.batch_size) :
				 args.validation_fraction > 0.0 ?
				 errdetail("With batch_size 0 each epoch is one full-batch bpnn_gradient scan; validation_fraction does not apply.") :
				 errdetail("With batch_size 0 each epoch is one full-batch bpnn_gradient scan."),
				 errhint("Raise bpnn.memory_limit to train in memory, which is faster per epoch.")));
		model = train_stream_model(&args, set, get_func_rettype(fcinfo->flinfo->fn_oid),
								   get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));
	}
	else
	{
		train_report_rows(&args, set);
		args.parallel = bpnn_parallel_training;
		model = train_model(&args, set, NULL, set->n_rows);
	}

	live_progress_end(args.live);
	PG_RETURN_POINTER(train_finish(model, start, train_cxt, old));
}
