/*
 * warm_start.h — continuing a model's training (init_model of bpnn_train,
 * the "init_model" option of bpnn_fit): the model argument, the settings
 * it fixes, the check that new rows have its feature layout and classes,
 * and what train_model (train.c) takes over from it.
 */
#ifndef BPNN_WARM_START_H
#define BPNN_WARM_START_H

#include "utils/jsonb.h"

#include "nn_fit.h"
#include "model.h"
#include "scan.h"
#include "train_setup.h"

/* bpnn_train's init_model: decoded and validated as any model argument */
extern BpnnModel *warm_start_model_from_datum(Datum value);

/* bpnn_fit's "init_model" option: the model's JSON document, or its text */
extern BpnnModel *warm_start_model_from_jsonb(const JsonbValue *value);

/*
 * Take the model's settings for the arguments left at their defaults, and
 * the model's columns as the features; an argument that fixes the network
 * (hidden, activation, loss, task, normalization, missing, optimizer,
 * seed, init_range, validation_fraction, class_weights) given another
 * value than the model's is an error.  epochs counts the epochs to add.
 * Sets args->init.
 */
extern void warm_start_args(TrainArgs *args, const BpnnModel *init);

/*
 * The rows must have the model's feature layout (columns, kinds, widths,
 * no text value it lacks) and no class it lacks (an error naming the first
 * difference); their one-hot inputs and class ids become the model's
 */
extern void warm_start_check_set(const BpnnModel *init, TrainingSet *set);

/* where fit_network picks up, from the model (NOTICE when it has no state) */
extern void warm_start_resume(const BpnnModel *init, const TrainArgs *args,
							  FitResume *resume);

/* keep the trainer's state of result in model (not for averaged parallel models) */
extern void warm_start_keep_state(BpnnModel *model, const FitResult *result);

#endif							/* BPNN_WARM_START_H */
