/*
 * predict.c — using a trained model: bpnn_predict (the class),
 * bpnn_predict_proba (one probability per class), bpnn_classes and
 * bpnn_info.  The model is decoded once per query (model_from_arg), then
 * each row costs one normalization and one forward pass.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "model.h"
#include "model_json.h"

PG_FUNCTION_INFO_V1(bpnn_predict);
PG_FUNCTION_INFO_V1(bpnn_predict_proba);
PG_FUNCTION_INFO_V1(bpnn_classes);
PG_FUNCTION_INFO_V1(bpnn_info);

/*
 * Run one row of features through the model.  Returns the output layer,
 * or NULL when a feature is NULL (the prediction is then unknown).
 */
static const float *
forward_one(CachedModel *cm, ArrayType *features)
{
	const BpnnModel *m = cm->model;
	int			n_features = model_n_features(m);
	int			count = ArrayGetNItems(ARR_NDIM(features), ARR_DIMS(features));
	const double *values;
	float	   *inputs = cm->ws.act[0];
	int			f;

	if (count != n_features)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model expects %d features, not %d", n_features, count),
				 errhint("Pass the features in the order bpnn_info(model)->'features' lists.")));
	if (array_contains_nulls(features))
		return NULL;
	values = (const double *) ARR_DATA_PTR(features);
	for (f = 0; f < n_features; f++)
	{
		if (!isfinite(values[f]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d (\"%s\") is not finite", f + 1, m->feature_names[f])));
		/* the same float4 rounding training applied to the raw value */
		inputs[f] = (float) (((double) (float) values[f] - m->shift[f]) * m->scale[f]);
	}
	nn_forward(&m->layout, m->weights, &cm->ws, 1);
	return cm->ws.act[m->layout.n_layers];
}

Datum
bpnn_predict(PG_FUNCTION_ARGS)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const float *out = forward_one(cm, PG_GETARG_ARRAYTYPE_P(1));

	if (out == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(cm->model->class_names[nn_argmax(out, model_n_classes(cm->model))]));
}

Datum
bpnn_predict_proba(PG_FUNCTION_ARGS)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const float *out = forward_one(cm, PG_GETARG_ARRAYTYPE_P(1));
	int			n = model_n_classes(cm->model);
	double	   *proba;
	Datum	   *elems;
	int			j;

	if (out == NULL)
		PG_RETURN_NULL();
	proba = palloc(sizeof(double) * n);
	elems = palloc(sizeof(Datum) * n);
	nn_outputs_to_proba(cm->model->layout.output_act, out, n, proba);
	for (j = 0; j < n; j++)
		elems[j] = Float8GetDatum(proba[j]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, FLOAT8OID, 8, FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

Datum
bpnn_classes(PG_FUNCTION_ARGS)
{
	const BpnnModel *m = model_from_arg(fcinfo, 0)->model;
	int			n = model_n_classes(m);
	Datum	   *elems = palloc(sizeof(Datum) * n);
	int			j;

	for (j = 0; j < n; j++)
		elems[j] = CStringGetTextDatum(m->class_names[j]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

Datum
bpnn_info(PG_FUNCTION_ARGS)
{
	const BpnnModel *m = model_from_arg(fcinfo, 0)->model;

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(model_to_json(m, false)));
}
