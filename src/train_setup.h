/*
 * train_setup.h — what the training drivers share (see train_setup.c):
 * the training arguments, the model's layout, scaler and class weights,
 * the training record and the progress reports.
 */
#ifndef BPNN_TRAIN_SETUP_H
#define BPNN_TRAIN_SETUP_H

#include "portability/instr_time.h"

#include "fmgr.h"
#include "utils/array.h"

#include "live_progress.h"
#include "model.h"
#include "nn_fit.h"
#include "nn_normalize.h"
#include "scan.h"

/* positions of the training arguments, counted from the first of them */
typedef enum TrainArg
{
	TRAIN_ARG_FEATURES,
	TRAIN_ARG_HIDDEN,
	TRAIN_ARG_EPOCHS,
	TRAIN_ARG_LEARNING_RATE,
	TRAIN_ARG_MOMENTUM,
	TRAIN_ARG_BATCH_SIZE,
	TRAIN_ARG_ACTIVATION,
	TRAIN_ARG_NORMALIZATION,
	TRAIN_ARG_INIT_RANGE,
	TRAIN_ARG_SEED,
	TRAIN_ARG_LOSS,
	TRAIN_ARG_OPTIMIZER,
	TRAIN_ARG_WEIGHT_DECAY,
	TRAIN_ARG_VALIDATION_FRACTION,
	TRAIN_ARG_PATIENCE,
	TRAIN_ARG_CLASS_WEIGHTS,
	TRAIN_ARG_MISSING,
	TRAIN_ARG_EXCLUDE,				/* 0.4.0: last, so that positional calls of */
	TRAIN_ARG_MAX_CLASSES,			/* 0.3.0 keep their meaning */
	TRAIN_ARG_TASK					/* 0.4.0, regression: after them all */
} TrainArg;

#define TRAIN_ARG_COUNT (TRAIN_ARG_TASK + 1)

/*
 * max_classes's default (the install script's): a label with more distinct
 * values is an identifier or a measurement far more often than a class
 */
#define TRAIN_DEFAULT_MAX_CLASSES 1000

/*
 * their names, and the defaults of all but features, class_weights and
 * exclude as JSON
 */
extern const char *const train_arg_names[TRAIN_ARG_COUNT];
extern const char *const train_arg_defaults;

/* the training arguments, in the order every training function takes them */
typedef struct TrainArgs
{
	Oid			source;
	char	   *label_column;
	ArrayType  *features;		/* NULL: the default choice (feature_choice.c) */
	ArrayType  *exclude;		/* the default choice leaves these out */
	int			max_classes;
	int			n_hidden;
	int			hidden[NN_MAX_HIDDEN];
	NnActivation activation;
	NormMethod	normalization;
	NnLoss		loss;
	double		validation_fraction;	/* early stopping when > 0 */
	char	   *class_weights;	/* NULL, "balanced" or a JSON object */
	BpnnMissing missing;
	bool		regression;		/* task => 'regression' */
	FitOptions	fit;			/* class_weight is set by train_model */
	bool		parallel;		/* bpnn_train in memory: may use parallel workers */
	LiveProgress *live;			/* NULL: no live progress (live_progress.c) */
	const BpnnModel *init;		/* init_model: continue it (warm_start.c) */
	bool		keep_state;		/* store the trainer's state in the model */
} TrainArgs;

/*
 * Read and check source (argument 0), label_col (1), and the training
 * arguments features, hidden, epochs, learning_rate, momentum, batch_size,
 * activation, normalization, init_range, seed, loss, optimizer,
 * weight_decay, validation_fraction, patience, class_weights, missing,
 * exclude, max_classes and task from argument first on.
 */
extern void train_args_read(FunctionCallInfo fcinfo, int first, TrainArgs *args);

/* how training scans its source, for these arguments */
extern ScanSpec *train_scan_spec(const TrainArgs *args);

/* FitHooks that allocate in a memory context and check for interrupts */
extern void train_hooks(FitHooks *hooks, MemoryContext cxt);

/* the layout, names and columns of a model for set (scaler arrays allocated) */
extern void train_model_layout(BpnnModel *model, const TrainArgs *args,
							   const TrainingSet *set);

/* the scaler and imputed values from the statistics of the training rows */
extern void train_model_scaler(BpnnModel *model, const TrainingSet *set,
							   const FeatureStats *stats);

/* refuse networks that would not fit in memory or in a stored value */
extern void train_check_network_size(const NnLayout *layout, Size memory_limit);

/*
 * Per-class weights: 1 each (spec NULL), "balanced" (rows / (classes x rows
 * of the class), as scikit-learn does), or a JSON object naming classes and
 * their weights (others 1).  count[c]: training rows of class c.
 */
extern double *train_class_weights(const char *spec, int n_classes, char **class_names,
								   const int64 *count, int64 n_rows);

/* error out if training diverged (non-finite weights or losses) */
extern void train_check_finite(const BpnnModel *model, const FitResult *result);

/* the model's training record (all but seconds) */
extern void train_record(BpnnModel *model, const TrainArgs *args, const TrainingSet *set,
						 const FitResult *result, int64 rows_used,
						 int64 validation_rows, double *class_weights);

/* an error: integer argument arg (its name) must be between min and max */
extern void train_out_of_range(const char *arg, int min, int max) pg_attribute_noreturn();

/* learning_rate, momentum and weight_decay within their ranges, or an error */
extern void train_check_step(double learning_rate, double momentum, double weight_decay);

/*
 * The end of a training call: the model's seconds since start, a last
 * validation, and its stored form in caller_cxt; train_cxt (where the
 * model lives) is deleted.
 */
extern struct varlena *train_finish(BpnnModel *model, instr_time start,
									MemoryContext train_cxt, MemoryContext caller_cxt);

/* bpnn.progress: NOTICEs every tenth of the epochs (accuracy < 0: not known) */
typedef struct TrainProgress TrainProgress;
extern TrainProgress *train_progress_start(int epochs, int64 rows);
extern void train_progress_report(TrainProgress *p, int epoch, double mean_loss,
								  double accuracy);

#endif							/* BPNN_TRAIN_SETUP_H */
