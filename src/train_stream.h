/*
 * train_stream.h — training by aggregate scans when the rows do not fit in
 * bpnn.memory_limit (see train_stream.c).
 */
#ifndef BPNN_TRAIN_STREAM_H
#define BPNN_TRAIN_STREAM_H

#include "train_setup.h"

/*
 * Train on every row of set's source by one aggregate scan per epoch:
 * bpnn_train_epoch (mini-batches, averaged over the partials) when
 * batch_size > 0, bpnn_gradient (one full-batch step) when it is 0.  set describes the columns (from a scan stopped at the memory
 * limit); its rows, classes and statistics are replaced.  model_type is
 * the OID of bpnn_model and schema the extension's schema.  Allocates in
 * the current memory context.
 */
extern BpnnModel *train_stream_model(const TrainArgs *args, TrainingSet *set,
									 Oid model_type, const char *schema);

#endif							/* BPNN_TRAIN_STREAM_H */
