/*
 * predict.h — what the other entry points share with prediction: reading
 * one row of raw features from any form of row that bpnn_predict takes
 * (a float8[] alone: model_read_features, model_row.h).
 */
#ifndef BPNN_PREDICT_H
#define BPNN_PREDICT_H

#include "utils/array.h"

#include "model.h"

/* the forms a row comes in: the SQL overloads' second argument */
typedef enum RowForm
{
	ROW_FLOAT8_ARRAY,
	ROW_TEXT_ARRAY,
	ROW_JSONB,
	ROW_RECORD,
	ROW_TEXT
} RowForm;

/*
 * One row, argument 1 of fcinfo in the given form (argument 2, where there
 * is one, is missing_keys), as raw feature values in the model's feature
 * order (in cm->row or the argument itself); NULL when a NULL value leaves
 * the row out.  bpnn_predict's reader, which bpnn_explain shares.
 */
extern const double *predict_read_row(FunctionCallInfo fcinfo, CachedModel *cm, RowForm form);

#endif							/* BPNN_PREDICT_H */
