/*
 * explain.c — bpnn_explain: why the model said what it said about one row,
 * as each input's contribution to the predicted class's probability (a
 * regressor: to its value), by integrated gradients (attribution.c).
 *
 * Integrated gradients rather than gradient × input: its contributions add
 * up to the prediction minus the baseline's prediction (completeness), so
 * a chart of them accounts for the whole answer, and it does not credit an
 * input for a saturated unit's flat gradient.  The baseline is the model's
 * imputed row (the training mean of every number, no category for a
 * one-hot column), the row bpnn_predict scores when every value is
 * missing.  The path integral is taken by adaptive quadrature until the
 * contributions' sum is within 1e-4 of the prediction's change (relative),
 * or the panels reach 4096 (8192 gradients): steep sigmoids and ReLU kinks
 * get the points, flat stretches few.  The result names the gradients taken
 * (steps) and the completeness error left.
 *
 * The row comes in every form bpnn_predict takes, read by its own reader
 * (predict_read_row); the class is bpnn_predict's (the kernel's float4
 * forward pass), so the explanation is of the answer bpnn_predict gives.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "attribution.h"
#include "model.h"
#include "model_json.h"
#include "predict.h"

PG_FUNCTION_INFO_V1(bpnn_explain);
PG_FUNCTION_INFO_V1(bpnn_explain_row);
PG_FUNCTION_INFO_V1(bpnn_explain_record);
PG_FUNCTION_INFO_V1(bpnn_explain_text);
PG_FUNCTION_INFO_V1(bpnn_explain_text_array);

#define MAX_PANELS 4096			/* of the quadrature: 8192 gradients */
#define COMPLETENESS_TOLERANCE 1e-4 /* of |prediction - baseline prediction| */
#define TOLERANCE_FLOOR 1e-12	/* of 1 + |prediction|: where they are equal */

/* one input's contribution, for sorting */
typedef struct Contribution
{
	int			feature;
	double		value;
} Contribution;

/* by |contribution| descending, then in feature order */
static int
contribution_cmp(const void *a, const void *b)
{
	const Contribution *x = a,
			   *y = b;
	double		ax = fabs(x->value),
				ay = fabs(y->value);

	if (ax != ay)
		return ax > ay ? -1 : 1;
	return x->feature - y->feature;
}

/* attr_integrated_gradients's hook after every panel: CHECK_FOR_INTERRUPTS */
static void
step_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/* JSON has no NaN or infinity: a model whose output overflows float8 here is explained by none */
static void
check_finite(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bpnn_explain cannot explain this row: the model's %s is not finite", what),
				 errdetail("bpnn_explain computes the network in float8; the model's weights or target scale overflow it on the path from the baseline to the row.")));
}

/* the model's normalized inputs for raw values, in float8 */
static double *
normalized(const BpnnModel *m, const double *values, float *scratch)
{
	int			n = model_n_features(m),
				i;
	double	   *z = palloc(sizeof(double) * n);

	model_normalize_features(m, values, scratch);
	for (i = 0; i < n; i++)
		z[i] = scratch[i];
	return z;
}

/*
 * bpnn_explain of one row in the given form: each input's contribution, as
 * jsonb
 */
static Datum
explain(FunctionCallInfo fcinfo, RowForm form)
{
	CachedModel *cm = model_from_arg(fcinfo, 0);
	const BpnnModel *m = cm->model;
	const NnLayout *layout = &m->layout;
	int			n = model_n_features(m),
				steps,
				i;
	const double *values;
	double	   *z,
			   *z0,
			   *contribution = palloc(sizeof(double) * n),
			   *point = palloc(sizeof(double) * n),
			   *grad = palloc(sizeof(double) * n),
			   *work = palloc(sizeof(double) * attr_work_doubles(layout));
	float	   *scratch = palloc(sizeof(float) * n);
	double		prediction,
				baseline,
				total,
				tolerance,
				error;
	AttrTarget	target = {0};
	Contribution *order = palloc(sizeof(Contribution) * n);
	StringInfoData buf;

	if (m->task == BPNN_TASK_REGRESSION && model_n_classes(m) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("bpnn_explain does not support regressors of more than one output"),
				 errdetail("The model has %d outputs; an explanation accounts for one number.",
						   model_n_classes(m)),
				 errhint("Train one regressor per target to explain each.")));
	values = predict_read_row(fcinfo, cm, form);
	if (values == NULL)
		PG_RETURN_NULL();
	z = normalized(m, values, scratch);
	z0 = normalized(m, m->impute, scratch);

	if (m->task == BPNN_TASK_REGRESSION)
	{
		target.kind = ATTR_VALUE;
		target.unit = 0;
		target.scale = m->target_scale[0];
		target.shift = m->target_shift[0];
	}
	else
	{
		/* bpnn_predict's class: the kernel's forward pass of the same inputs */
		for (i = 0; i < n; i++)
			cm->ws.act[0][i] = (float) z[i];
		nn_forward_one(layout, &cm->ws);
		target.kind = ATTR_PROBABILITY;
		target.unit = nn_argmax(cm->ws.act[layout->n_layers], model_n_classes(m));
	}
	prediction = attr_gradient(layout, m->weights, &target, z, NULL, work);
	baseline = attr_gradient(layout, m->weights, &target, z0, NULL, work);

	/* before the quadrature's thousands of gradients, not after them */
	check_finite(prediction, "prediction");
	check_finite(baseline, "prediction for the baseline");
	tolerance = COMPLETENESS_TOLERANCE * fabs(prediction - baseline) +
		TOLERANCE_FLOOR * (1.0 + fabs(prediction));
	steps = attr_integrated_gradients(layout, m->weights, &target, z, z0, tolerance,
									  palloc(sizeof(AttrPanel) * MAX_PANELS), MAX_PANELS,
									  contribution, point, grad, work, step_interrupts, NULL);
	total = 0.0;
	for (i = 0; i < n; i++)
		total += contribution[i];
	error = fabs(total - (prediction - baseline));
	check_finite(error, "gradient");	/* NaN or infinite if a contribution is */

	for (i = 0; i < n; i++)
	{
		order[i].feature = i;
		order[i].value = contribution[i];
	}
	qsort(order, n, sizeof(Contribution), contribution_cmp);

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"method\": \"integrated_gradients\", ");
	if (m->task == BPNN_TASK_REGRESSION)
	{
		appendStringInfoString(&buf, "\"output\": \"value\", \"target\": ");
		escape_json(&buf, m->class_names[0]);
	}
	else
	{
		appendStringInfoString(&buf, "\"output\": \"probability\", \"class\": ");
		escape_json(&buf, m->class_names[target.unit]);
	}
	appendStringInfoString(&buf, ", ");
	model_json_append_number(&buf, "prediction", prediction);
	appendStringInfoString(&buf, ", \"baseline\": \"training means\", ");
	model_json_append_number(&buf, "baseline_prediction", baseline);
	appendStringInfo(&buf, ", \"steps\": %d, ", steps);
	model_json_append_number(&buf, "completeness_error", error);
	appendStringInfoString(&buf, ", \"contributions\": [");
	for (i = 0; i < n; i++)
	{
		int			f = order[i].feature;

		appendStringInfoString(&buf, i ? ", {\"feature\": " : "{\"feature\": ");
		escape_json(&buf, m->feature_names[f]);
		appendStringInfoString(&buf, ", ");
		model_json_append_number(&buf, "value", values[f]);
		appendStringInfoString(&buf, ", ");
		model_json_append_number(&buf, "contribution", order[i].value);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/* bpnn_explain(model, float8[]) */
Datum
bpnn_explain(PG_FUNCTION_ARGS)
{
	return explain(fcinfo, ROW_FLOAT8_ARRAY);
}

/* bpnn_explain(model, jsonb): a row matched by name */
Datum
bpnn_explain_row(PG_FUNCTION_ARGS)
{
	return explain(fcinfo, ROW_JSONB);
}

/* bpnn_explain(model, record): a table's row */
Datum
bpnn_explain_record(PG_FUNCTION_ARGS)
{
	return explain(fcinfo, ROW_RECORD);
}

/* bpnn_explain(model, text): a JSON object or a float8[] literal */
Datum
bpnn_explain_text(PG_FUNCTION_ARGS)
{
	return explain(fcinfo, ROW_TEXT);
}

/* bpnn_explain(model, text[]): ODBC's arrays */
Datum
bpnn_explain_text_array(PG_FUNCTION_ARGS)
{
	return explain(fcinfo, ROW_TEXT_ARRAY);
}
