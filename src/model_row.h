/*
 * model_row.h — one row of features read for a model: a float8[] in the
 * model's order, or a jsonb object or a record matched to its feature
 * columns by name (see model_row.c).
 */
#ifndef BPNN_MODEL_ROW_H
#define BPNN_MODEL_ROW_H

#include "access/htup.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "model.h"

/*
 * One row of raw features given as float8[], in the model's feature order:
 * the array's own values, or buffer (model_n_features doubles) filled with
 * imputed ones; NULL when a NULL feature leaves the row out (the model does
 * not impute).  Errors on a model with text columns or a wrong count.
 */
extern const double *model_read_features(const BpnnModel *model, ArrayType *features,
										 double *buffer);

/*
 * The missing_keys argument ('error' or 'impute'): true when the caller asks
 * to impute columns a row lacks, which only an imputing model can do.
 */
extern bool model_row_impute_missing_keys(const BpnnModel *model, text *missing_keys);

/*
 * The row's raw feature values in the model's feature order, in cm->row;
 * NULL when a NULL value leaves the row out (the model does not impute).
 * A column the row lacks is an error unless impute_missing_keys; a value
 * of the wrong kind is always one.
 */
extern const double *model_row_from_jsonb(CachedModel *cm, Jsonb *row, bool impute_missing_keys);
extern const double *model_row_from_record(CachedModel *cm, HeapTupleHeader row,
										   bool impute_missing_keys);

#endif							/* BPNN_MODEL_ROW_H */
