/*
 * train.h — what bpnn_train and the evaluation functions share: reading the
 * training arguments, and training a network on (some of) a scanned set.
 */
#ifndef BPNN_TRAIN_H
#define BPNN_TRAIN_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "fit.h"
#include "model.h"
#include "normalize.h"
#include "scan.h"

/* the training arguments, in the order every training function takes them */
typedef struct TrainArgs
{
	Oid			source;
	char	   *label_column;
	ArrayType  *features;		/* NULL: every numeric column */
	int			n_hidden;
	int			hidden[NN_MAX_HIDDEN];
	NnActivation activation;
	NormMethod	normalization;
	NnLoss		loss;
	double		validation_fraction;	/* early stopping when > 0 */
	char	   *class_weights;	/* NULL, "balanced" or a JSON object */
	BpnnMissing missing;
	FitOptions	fit;			/* class_weight is set by train_model */
} TrainArgs;

/*
 * Read and check source (argument 0), label_col (1), and the training
 * arguments features, hidden, epochs, learning_rate, momentum, batch_size,
 * activation, normalization, init_range, seed, loss, optimizer,
 * weight_decay, validation_fraction, patience, class_weights and missing
 * from argument first on.
 */
extern void train_args_read(FunctionCallInfo fcinfo, int first, TrainArgs *args);

/*
 * Train a network on the rows of set listed in rows, or on every row when
 * rows is NULL (set->x is then normalized in place; otherwise the rows are
 * copied).  The model's training record is complete except for seconds.
 * Allocates in the current memory context.
 */
extern BpnnModel *train_model(const TrainArgs *args, TrainingSet *set,
							  const int64 *rows, int64 n_rows);

/* rows of set (all when rows is NULL), normalized with the model's scaler */
extern float *normalized_rows(const BpnnModel *model, const TrainingSet *set,
							  const int64 *rows, int64 n_rows);

/* how training scans its source, for these arguments */
extern const ScanSpec *train_scan_spec(const TrainArgs *args);

/* FitHooks that allocate in a memory context and check for interrupts */
extern void train_hooks(FitHooks *hooks, MemoryContext cxt);

#endif							/* BPNN_TRAIN_H */
