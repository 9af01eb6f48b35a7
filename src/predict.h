/*
 * predict.h — what the other entry points share with prediction: reading
 * one row of raw features from a float8[].
 */
#ifndef BPNN_PREDICT_H
#define BPNN_PREDICT_H

#include "utils/array.h"

#include "model.h"

/*
 * One row of raw features given as float8[], in the model's feature order:
 * the array's own values, or buffer (model_n_features doubles) filled with
 * imputed ones; NULL when a NULL feature leaves the row out (the model does
 * not impute).  Errors on a model with text columns or a wrong count.
 */
extern const double *model_read_features(const BpnnModel *model, ArrayType *features,
										 double *buffer);

#endif							/* BPNN_PREDICT_H */
