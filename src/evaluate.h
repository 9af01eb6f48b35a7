/*
 * evaluate.h — what evaluate.c shares with the other scorers
 * (bpnn_importance): the mapping of a scanned set's labels to a model's
 * classes.
 */
#ifndef BPNN_EVALUATE_H
#define BPNN_EVALUATE_H

#include "model.h"
#include "scan.h"

/* id of each of the set's classes among the model's, -1 when unknown */
extern int32 *map_classes(const BpnnModel *model, const TrainingSet *set);

#endif							/* BPNN_EVALUATE_H */
