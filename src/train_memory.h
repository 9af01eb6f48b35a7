/*
 * train_memory.h — the in-memory training driver (train_memory.c):
 * training a network on (some of) a scanned set, for bpnn_train,
 * cross-validation and bpnn_fit.
 */
#ifndef BPNN_TRAIN_MEMORY_H
#define BPNN_TRAIN_MEMORY_H

#include "train_setup.h"

/*
 * Train a network on the rows of set listed in rows, or on every row when
 * rows is NULL (set->x is then normalized in place; otherwise the rows are
 * copied).  The model's training record is complete except for seconds.
 * Allocates in the current memory context.
 */
extern BpnnModel *train_model(const TrainArgs *args, TrainingSet *set,
							  const int64 *rows, int64 n_rows);

/* rows of set (all when rows is NULL), normalized with the model's scaler */
extern float *train_normalized_rows(const BpnnModel *model, const TrainingSet *set,
									const int64 *rows, int64 n_rows);

/*
 * regression: the targets of rows of set (all when rows is NULL),
 * standardized with the model's target_shift and target_scale, as float4
 */
/* regression: the mean of target column k over the rows (all when rows is NULL) */
extern double train_target_mean(const TrainingSet *set, const int64 *rows, int64 n_rows, int k);
extern float *train_standardized_targets(const BpnnModel *model, const TrainingSet *set,
										 const int64 *rows, int64 n_rows);

#endif							/* BPNN_TRAIN_MEMORY_H */
