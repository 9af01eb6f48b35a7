/*
 * predict.c — using a trained model: bpnn_predict (the class),
 * bpnn_predict_proba (one probability per class), bpnn_predict_value and
 * bpnn_predict_values (a regressor's predictions, in the label's units),
 * bpnn_classes and
 * bpnn_info.  The model is decoded once per query (model_from_arg), then
 * each row costs one normalization and one forward pass.
 *
 * A row comes in one of five forms, each its own SQL overload: float8[]
 * (the model's feature order), jsonb and record (matched by column name in
 * model_row.c), and for drivers text and text[].  A driver's untyped
 * parameter resolves to the text form (PostgreSQL prefers the string
 * category for an unknown argument), which reads a JSON object as the
 * jsonb form and anything else as a float8[] literal; ODBC's
 * ARRAY[?, ?, ...] is a text[] whose elements are read as float8.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/fmgroids.h"

#include "model.h"
#include "model_json.h"
#include "model_row.h"
#include "predict.h"

PG_FUNCTION_INFO_V1(bpnn_predict);
PG_FUNCTION_INFO_V1(bpnn_predict_proba);
PG_FUNCTION_INFO_V1(bpnn_predict_row);
PG_FUNCTION_INFO_V1(bpnn_predict_proba_row);
PG_FUNCTION_INFO_V1(bpnn_predict_record);
PG_FUNCTION_INFO_V1(bpnn_predict_proba_record);
PG_FUNCTION_INFO_V1(bpnn_predict_text);
PG_FUNCTION_INFO_V1(bpnn_predict_proba_text);
PG_FUNCTION_INFO_V1(bpnn_predict_text_array);
PG_FUNCTION_INFO_V1(bpnn_predict_proba_text_array);
PG_FUNCTION_INFO_V1(bpnn_predict_value);
PG_FUNCTION_INFO_V1(bpnn_predict_value_row);
PG_FUNCTION_INFO_V1(bpnn_predict_value_record);
PG_FUNCTION_INFO_V1(bpnn_predict_value_text);
PG_FUNCTION_INFO_V1(bpnn_predict_value_text_array);
PG_FUNCTION_INFO_V1(bpnn_predict_values);
PG_FUNCTION_INFO_V1(bpnn_predict_values_row);
PG_FUNCTION_INFO_V1(bpnn_predict_values_record);
PG_FUNCTION_INFO_V1(bpnn_predict_values_text);
PG_FUNCTION_INFO_V1(bpnn_predict_values_text_array);
PG_FUNCTION_INFO_V1(bpnn_classes);
PG_FUNCTION_INFO_V1(bpnn_info);

/* run one row of raw feature values through the model: the output layer */
static const float *
forward_raw(CachedModel *cm, const double *values)
{
	const BpnnModel *m = cm->model;

	model_normalize_features(m, values, cm->ws.act[0]);
	nn_forward_one(&m->layout, &cm->ws);
	return cm->ws.act[m->layout.n_layers];
}

/* ODBC's ARRAY[?, ?, ...]: a text[] read element by element as float8 */
static ArrayType *
text_array_as_float8(ArrayType *texts)
{
	Datum	   *elems;
	bool	   *nulls;
	int			count,
				i;

	deconstruct_array(texts, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
	for (i = 0; i < count; i++)
		if (!nulls[i])
			elems[i] = DirectFunctionCall1(float8in, CStringGetDatum(TextDatumGetCString(elems[i])));
	return construct_md_array(elems, nulls, ARR_NDIM(texts), ARR_DIMS(texts), ARR_LBOUND(texts),
							  FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * Does the text hold a JSON object?  It does when it starts with "{" and
 * then "}" or a quoted string followed by ":" (a key); a float8[] literal
 * has "," or "}" after a quoted element, and no quotes at all as written
 * by drivers.  Decided from the text alone, so the function stays
 * IMMUTABLE.
 */
static bool
text_is_json_object(const char *s)
{
#define SKIP_SPACE(p) while (*(p) == ' ' || *(p) == '\t' || *(p) == '\n' || *(p) == '\r' || \
							 *(p) == '\v' || *(p) == '\f') (p)++
	SKIP_SPACE(s);
	if (*s++ != '{')
		return false;
	SKIP_SPACE(s);
	if (*s == '}')
		return true;
	if (*s++ != '"')
		return false;
	for (; *s != '"'; s++)
	{
		if (*s == '\0')
			return false;
		if (*s == '\\' && s[1] != '\0')
			s++;
	}
	s++;
	SKIP_SPACE(s);
#undef SKIP_SPACE
	return *s == ':';
}

/* names the form a text was read in, in an error's context */
static void
text_form_context(void *arg)
{
	errcontext("features text read as %s", (const char *) arg);
}

/* the text form: a JSON object, or else a float8[] literal */
static const double *
text_row(CachedModel *cm, text *features, bool impute_missing_keys)
{
	char	   *s = text_to_cstring(features);
	bool		json = text_is_json_object(s);
	ErrorContextCallback context;
	Datum		row;

	context.callback = text_form_context;
	context.arg = json ? "a JSON object" : "a float8[] literal";
	context.previous = error_context_stack;
	error_context_stack = &context;
	row = json ? DirectFunctionCall1(jsonb_in, CStringGetDatum(s)) :
		OidInputFunctionCall(F_ARRAY_IN, s, FLOAT8OID, -1);
	error_context_stack = context.previous;
	if (json)
		return model_row_from_jsonb(cm, DatumGetJsonbP(row), impute_missing_keys);
	return model_read_features(cm->model, DatumGetArrayTypeP(row), cm->row);
}

/*
 * one row in the given form as raw feature values, NULL when a NULL leaves
 * it out
 */
const double *
predict_read_row(FunctionCallInfo fcinfo, CachedModel *cm, RowForm form)
{
	bool		impute_missing_keys = PG_NARGS() > 2 &&
		model_row_impute_missing_keys(cm->model, PG_GETARG_TEXT_PP(2));
	const double *values = NULL;

	switch (form)
	{
		case ROW_FLOAT8_ARRAY:
			values = model_read_features(cm->model, PG_GETARG_ARRAYTYPE_P(1), cm->row);
			break;
		case ROW_TEXT_ARRAY:
			values = model_read_features(cm->model, text_array_as_float8(PG_GETARG_ARRAYTYPE_P(1)),
										 cm->row);
			break;
		case ROW_JSONB:
			values = model_row_from_jsonb(cm, PG_GETARG_JSONB_P(1), impute_missing_keys);
			break;
		case ROW_RECORD:
			values = model_row_from_record(cm, PG_GETARG_HEAPTUPLEHEADER(1), impute_missing_keys);
			break;
		case ROW_TEXT:
			values = text_row(cm, PG_GETARG_TEXT_PP(1), impute_missing_keys);
			break;
	}
	return values;
}

/*
 * One row, argument 1 in the given form, through the model: the output
 * layer, or NULL when a NULL value leaves the row out
 */
static const float *
forward_row(FunctionCallInfo fcinfo, CachedModel *cm, RowForm form)
{
	const double *values = predict_read_row(fcinfo, cm, form);

	return values ? forward_raw(cm, values) : NULL;
}

/*
 * The class of a row's outputs as text.  The classes' text values are made
 * once per model (in the cached model's context) and copied per row: a
 * row's result is the caller's to keep.
 */
static Datum
predicted_class(CachedModel *cm, const float *out)
{
	int			n = model_n_classes(cm->model);
	text	   *name;
	text	   *result;

	if (cm->class_texts == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(cm->cxt);
		text	  **names = palloc(sizeof(text *) * n);
		int			j;

		for (j = 0; j < n; j++)
			names[j] = cstring_to_text(cm->model->class_names[j]);
		MemoryContextSwitchTo(old);
		cm->class_texts = names;
	}
	name = cm->class_texts[nn_argmax(out, n)];
	result = palloc(VARSIZE(name));
	memcpy(result, name, VARSIZE(name));
	return PointerGetDatum(result);
}

/* the class probabilities of one row's outputs, as a float8[] */
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

/* bpnn_predict (the class) or bpnn_predict_proba of one row */
static Datum
predict(FunctionCallInfo fcinfo, RowForm form, bool proba)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const float *out;

	model_check_task(cm->model, BPNN_TASK_CLASSIFICATION,
					 proba ? "bpnn_predict_proba" : "bpnn_predict");
	out = forward_row(fcinfo, cm, form);

	if (out == NULL)
		PG_RETURN_NULL();
	return proba ? predicted_proba(cm, out) : predicted_class(cm, out);
}

/* bpnn_predict(model, float8[]): the predicted class */
Datum
bpnn_predict(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_FLOAT8_ARRAY, false);
}

/* bpnn_predict_proba(model, float8[]): one probability per class */
Datum
bpnn_predict_proba(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_FLOAT8_ARRAY, true);
}

/* bpnn_predict(model, text[]): the predicted class (ODBC's arrays) */
Datum
bpnn_predict_text_array(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_TEXT_ARRAY, false);
}

/* bpnn_predict_proba(model, text[]): one probability per class */
Datum
bpnn_predict_proba_text_array(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_TEXT_ARRAY, true);
}

/* bpnn_predict(model, jsonb): the predicted class of a row matched by name */
Datum
bpnn_predict_row(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_JSONB, false);
}

/* bpnn_predict_proba(model, jsonb): probabilities of a row matched by name */
Datum
bpnn_predict_proba_row(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_JSONB, true);
}

/* bpnn_predict(model, record): the predicted class of a table's row */
Datum
bpnn_predict_record(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_RECORD, false);
}

/* bpnn_predict_proba(model, record): probabilities of a table's row */
Datum
bpnn_predict_proba_record(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_RECORD, true);
}

/* bpnn_predict(model, text): a JSON object or a float8[] literal (drivers) */
Datum
bpnn_predict_text(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_TEXT, false);
}

/* bpnn_predict_proba(model, text): a JSON object or a float8[] literal */
Datum
bpnn_predict_proba_text(PG_FUNCTION_ARGS)
{
	return predict(fcinfo, ROW_TEXT, true);
}

/*
 * bpnn_predict_value (one output) or bpnn_predict_values (every output, as
 * float8[]) of one row: a regressor's outputs, back in the label's units
 * (output * target_scale + target_shift, in float8)
 */
static Datum
predict_value(FunctionCallInfo fcinfo, RowForm form, bool all)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const BpnnModel *m = cm->model;
	int			n = model_n_classes(m),
				k;
	const float *out;
	Datum	   *elems;

	model_check_task(m, BPNN_TASK_REGRESSION, all ? "bpnn_predict_values" : "bpnn_predict_value");
	if (!all && n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bpnn_predict_value takes a regressor of one output, and the model has %d", n),
				 errhint("Use bpnn_predict_values for a regressor of a float8[] label.")));
	out = forward_row(fcinfo, cm, form);
	if (out == NULL)
		PG_RETURN_NULL();
	if (!all)
		PG_RETURN_FLOAT8((double) out[0] * m->target_scale[0] + m->target_shift[0]);
	elems = palloc(sizeof(Datum) * n);
	for (k = 0; k < n; k++)
		elems[k] = Float8GetDatum((double) out[k] * m->target_scale[k] + m->target_shift[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* bpnn_predict_value(model, float8[]): a one-output regressor's prediction */
Datum
bpnn_predict_value(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_FLOAT8_ARRAY, false);
}

/* bpnn_predict_value(model, jsonb): a row matched by name */
Datum
bpnn_predict_value_row(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_JSONB, false);
}

/* bpnn_predict_value(model, record): a table's row */
Datum
bpnn_predict_value_record(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_RECORD, false);
}

/* bpnn_predict_value(model, text): a JSON object or a float8[] literal */
Datum
bpnn_predict_value_text(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_TEXT, false);
}

/* bpnn_predict_value(model, text[]): ODBC's arrays */
Datum
bpnn_predict_value_text_array(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_TEXT_ARRAY, false);
}

/*
 * bpnn_predict_values(model, float8[]): a regressor's predictions, one per
 * output
 */
Datum
bpnn_predict_values(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_FLOAT8_ARRAY, true);
}

/* bpnn_predict_values(model, jsonb): a row matched by name */
Datum
bpnn_predict_values_row(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_JSONB, true);
}

/* bpnn_predict_values(model, record): a table's row */
Datum
bpnn_predict_values_record(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_RECORD, true);
}

/* bpnn_predict_values(model, text): a JSON object or a float8[] literal */
Datum
bpnn_predict_values_text(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_TEXT, true);
}

/* bpnn_predict_values(model, text[]): ODBC's arrays */
Datum
bpnn_predict_values_text_array(PG_FUNCTION_ARGS)
{
	return predict_value(fcinfo, ROW_TEXT_ARRAY, true);
}

/* the model's classes, in their order */
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

/* the model without its weights, as jsonb */
Datum
bpnn_info(PG_FUNCTION_ARGS)
{
	const BpnnModel *m = model_from_arg(fcinfo, 0)->model;

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(model_to_json(m, false)));
}
