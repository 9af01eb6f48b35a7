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
#include "utils/numeric.h"

#include "model.h"
#include "model_json.h"
#include "predict.h"

PG_FUNCTION_INFO_V1(bpnn_predict);
PG_FUNCTION_INFO_V1(bpnn_predict_proba);
PG_FUNCTION_INFO_V1(bpnn_predict_row);
PG_FUNCTION_INFO_V1(bpnn_predict_proba_row);
PG_FUNCTION_INFO_V1(bpnn_classes);
PG_FUNCTION_INFO_V1(bpnn_info);

const double *
model_read_features(const BpnnModel *m, ArrayType *features, double *buffer)
{
	int			n_features = model_n_features(m);
	int			count = ArrayGetNItems(ARR_NDIM(features), ARR_DIMS(features));
	Datum	   *elems;
	bool	   *nulls;
	int			f;

	for (f = 0; f < m->n_columns; f++)
		if (m->column_kinds[f] == BPNN_COLUMN_CATEGORY)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the model has text feature columns, which a float8[] cannot hold"),
					 errhint("Pass the row as jsonb instead, for example bpnn_predict(model, to_jsonb(t)).")));
	if (count != n_features)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model expects %d features, not %d", n_features, count),
				 errhint("Pass the features in the order bpnn_info(model)->'features' lists.")));
	if (!array_contains_nulls(features))
		return (const double *) ARR_DATA_PTR(features);
	if (m->missing != BPNN_MISSING_IMPUTE)
		return NULL;
	deconstruct_array(features, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &count);
	for (f = 0; f < n_features; f++)
		buffer[f] = nulls[f] ? m->impute[f] : DatumGetFloat8(elems[f]);
	pfree(elems);
	pfree(nulls);
	return buffer;
}

/* run one row of raw feature values through the model: the output layer */
static const float *
forward_raw(CachedModel *cm, const double *values)
{
	const BpnnModel *m = cm->model;

	model_normalize_features(m, values, cm->ws.act[0]);
	nn_forward_one(&m->layout, &cm->ws);
	return cm->ws.act[m->layout.n_layers];
}

/*
 * One row given as float8[], in bpnn_info(model)->'features' order.  A NULL
 * element is imputed when the model imputes, else the prediction is NULL.
 */
static const float *
forward_array(CachedModel *cm, ArrayType *features)
{
	const double *values = model_read_features(cm->model, features, cm->row);

	return values ? forward_raw(cm, values) : NULL;
}

/* a JSON scalar as the text a text column would hold */
static char *
json_scalar_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return NULL;
	}
}

/*
 * The index of a text value among a column's categories, -1 if none.
 * Training reads values with ::text, which drops the blank padding of
 * char(n); to_jsonb keeps it, so a padded value matches without it.
 */
static int
category_index(const BpnnModel *m, int column, const char *text)
{
	size_t		len;
	int			k;

	if (text == NULL)
		return -1;
	for (k = 0; k < m->column_widths[column]; k++)
		if (strcmp(text, m->categories[column][k]) == 0)
			return k;
	len = strlen(text);
	while (len > 0 && text[len - 1] == ' ')
		len--;
	if (len == strlen(text))
		return -1;
	for (k = 0; k < m->column_widths[column]; k++)
		if (strlen(m->categories[column][k]) == len &&
			strncmp(text, m->categories[column][k], len) == 0)
			return k;
	return -1;
}

static double
json_number(JsonbValue *v, const char *column)
{
	if (v->type == jbvNumeric)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("feature \"%s\" must be a number", column)));
	return 0.0;
}

/*
 * One row given as a jsonb object of column values (to_jsonb(t) of a row
 * of the source, say): numbers, arrays of numbers, and text for one-hot
 * columns; keys the model does not use are ignored.  A missing key or a
 * null is imputed when the model imputes, else the prediction is NULL.
 */
static const float *
forward_jsonb(CachedModel *cm, Jsonb *row)
{
	const BpnnModel *m = cm->model;
	double	   *values = palloc0(sizeof(double) * model_n_features(m));
	int			c,
				k,
				n = 0;

	if (!JB_ROOT_IS_OBJECT(row))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the features must be a JSON object of column values")));
	for (c = 0; c < m->n_columns; c++)
	{
		const char *name = m->column_names[c];
		int			width = m->column_widths[c];
		JsonbValue *v = getKeyJsonValueFromContainer(&row->root, name, strlen(name), NULL);
		bool		missing = (v == NULL || v->type == jbvNull);

		if (missing && m->missing != BPNN_MISSING_IMPUTE)
			return NULL;
		if (m->column_kinds[c] == BPNN_COLUMN_CATEGORY)
		{
			char	   *text = missing ? NULL : json_scalar_text(v);
			int			hit;

			if (!missing && text == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("feature \"%s\" must be a JSON string, number or boolean", name)));
			/* an unknown value (or a missing one) is no category at all */
			hit = category_index(m, c, text);

			for (k = 0; k < width; k++)
				values[n + k] = k == hit ? 1.0 : 0.0;
		}
		else if (missing)
		{
			for (k = 0; k < width; k++)
				values[n + k] = m->impute[n + k];
		}
		else if (m->column_kinds[c] == BPNN_COLUMN_NUMBER)
			values[n] = json_number(v, name);
		else
		{
			JsonbContainer *a = v->type == jbvBinary ? v->val.binary.data : NULL;

			if (a == NULL || !JsonContainerIsArray(a) || (int) JsonContainerSize(a) != width)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("feature \"%s\" must be a JSON array of %d numbers", name, width)));
			for (k = 0; k < width; k++)
			{
				JsonbValue *e = getIthJsonbValueFromContainer(a, k);

				if (e->type == jbvNull)
				{
					if (m->missing != BPNN_MISSING_IMPUTE)
						return NULL;
					values[n + k] = m->impute[n + k];
				}
				else
					values[n + k] = json_number(e, name);
			}
		}
		n += width;
	}
	return forward_raw(cm, values);
}

/*
 * The class of a row's outputs as text.  The
 * classes' text values are made once per model (hung on the cached model's
 * extra) and copied per row: a row's result is the caller's to keep.
 */
static Datum
predicted_class(CachedModel *cm, const float *out)
{
	int			n = model_n_classes(cm->model);
	text	  **names = cm->extra;
	text	   *name;
	text	   *result;
	int			j;

	if (names == NULL)
	{
		names = MemoryContextAlloc(cm->cxt, sizeof(text *) * n);
		for (j = 0; j < n; j++)
		{
			MemoryContext old = MemoryContextSwitchTo(cm->cxt);

			names[j] = cstring_to_text(cm->model->class_names[j]);
			MemoryContextSwitchTo(old);
		}
		cm->extra = names;
	}
	name = names[nn_argmax(out, n)];
	result = palloc(VARSIZE(name));
	memcpy(result, name, VARSIZE(name));
	return PointerGetDatum(result);
}

static Datum
predicted_proba(CachedModel *cm, const float *out)
{
	int			n = model_n_classes(cm->model);
	double	   *proba = palloc(sizeof(double) * n);
	Datum	   *elems = palloc(sizeof(Datum) * n);
	int			j;

	nn_outputs_to_proba(cm->model->layout.output_act, out, n, proba);
	for (j = 0; j < n; j++)
		elems[j] = Float8GetDatum(proba[j]);
	return PointerGetDatum(construct_array(elems, n, FLOAT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

Datum
bpnn_predict(PG_FUNCTION_ARGS)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const float *out = forward_array(cm, PG_GETARG_ARRAYTYPE_P(1));

	if (out == NULL)
		PG_RETURN_NULL();
	return predicted_class(cm, out);
}

Datum
bpnn_predict_proba(PG_FUNCTION_ARGS)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const float *out = forward_array(cm, PG_GETARG_ARRAYTYPE_P(1));

	if (out == NULL)
		PG_RETURN_NULL();
	return predicted_proba(cm, out);
}

Datum
bpnn_predict_row(PG_FUNCTION_ARGS)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const float *out = forward_jsonb(cm, PG_GETARG_JSONB_P(1));

	if (out == NULL)
		PG_RETURN_NULL();
	return predicted_class(cm, out);
}

Datum
bpnn_predict_proba_row(PG_FUNCTION_ARGS)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const float *out = forward_jsonb(cm, PG_GETARG_JSONB_P(1));

	if (out == NULL)
		PG_RETURN_NULL();
	return predicted_proba(cm, out);
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
