/*
 * regression.c — judging a regressor: its predictions over scanned rows
 * put back in the label's units (output * target_scale + target_shift,
 * the same arithmetic as bpnn_predict_value), and their mean squared and
 * absolute errors and R², for bpnn_evaluate and each fold of
 * bpnn_cross_validate.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bpnn.h"
#include "model_json.h"
#include "regression.h"
#include "train_memory.h"

/*
 * a regressor's figures over the rows of set (all when rows is NULL), in the
 * label's units
 */
void
regression_score(const BpnnModel *model, const TrainingSet *set, const int64 *rows,
				 int64 n_rows, RegressionMetrics *metrics)
{
	FitData		data = {0};
	FitHooks	hooks = {0};
	int			n_out = model_n_classes(model),
				k;
	float	   *outputs = MemoryContextAllocHuge(CurrentMemoryContext,
												 sizeof(float) * Max(n_rows, 1) * n_out);
	double		all_squares = 0.0,
				all_absolute = 0.0,
				r2_sum = 0.0;

	Assert(set->target != NULL && set->n_classes == n_out);
	data.x = train_normalized_rows(model, set, rows, n_rows);
	data.n_rows = n_rows;
	data.t = train_standardized_targets(model, set, rows, n_rows);
	train_hooks(&hooks, CurrentMemoryContext);
	(void) fit_outputs(&model->layout, model->weights, &data, &hooks, outputs);

	metrics->rows = n_rows;
	metrics->n_outputs = n_out;
	metrics->output = palloc(sizeof(RegressionFigures) * n_out);
	for (k = 0; k < n_out; k++)
	{
		RegressionFigures *f = &metrics->output[k];
		double		mean = train_target_mean(set, rows, n_rows, k),
					squares = 0.0,
					absolute = 0.0,
					total = 0.0;
		int64		i;

		for (i = 0; i < n_rows; i++)
		{
			double		actual = set->target[(rows ? rows[i] : i) * n_out + k];
			double		predicted = (double) outputs[i * n_out + k] * model->target_scale[k] +
				model->target_shift[k];
			double		err = actual - predicted;

			squares += err * err;
			absolute += fabs(err);
			total += (actual - mean) * (actual - mean);
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		f->mse = squares / (double) n_rows;
		f->rmse = sqrt(f->mse);
		f->mae = absolute / (double) n_rows;
		f->r2 = total > 0.0 ? 1.0 - squares / total : NAN;
		all_squares += squares;
		all_absolute += absolute;
		r2_sum += f->r2;
	}
	metrics->all.mse = all_squares / ((double) n_rows * n_out);
	metrics->all.rmse = sqrt(metrics->all.mse);
	metrics->all.mae = all_absolute / ((double) n_rows * n_out);
	metrics->all.r2 = r2_sum / n_out;
	pfree(outputs);
}

/* ", key: v": v's shortest exact decimal, null when not finite */
static void
write_number(StringInfo buf, const char *key, double v)
{
	appendStringInfoString(buf, ", ");
	model_json_append_number(buf, key, v);
}

/* one output's (or all outputs') figures as JSON members */
static void
write_figures(StringInfo buf, const RegressionFigures *f)
{
	write_number(buf, "rmse", f->rmse);
	write_number(buf, "mae", f->mae);
	write_number(buf, "r2", f->r2);
	write_number(buf, "mse", f->mse);
}

/*
 * bpnn_evaluate of a regressor: its figures over every row of a relation, as
 * jsonb
 */
Datum
regression_evaluate(const BpnnModel *model, Oid relid, const char *label_column)
{
	ScanSpec	spec = {0};		/* stream_over_limit false: every row, or an error */
	TrainingSet *set;
	RegressionMetrics r;
	StringInfoData buf;

	spec.memory_limit = (Size) bpnn_memory_limit_kb * 1024;
	spec.impute = model->missing == BPNN_MISSING_IMPUTE;
	spec.regression = true;
	spec.model = model;
	set = scan_training_set(relid, label_column, &spec);
	regression_score(model, set, NULL, set->n_rows, &r);

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"task\": \"regression\", \"rows_used\": " INT64_FORMAT
					 ", \"rows_skipped\": " INT64_FORMAT, r.rows, set->rows_skipped);
	write_figures(&buf, &r.all);
	if (r.n_outputs > 1)
	{
		int			k;

		/* several outputs: the figures above are over all of them, then each's */
		appendStringInfoString(&buf, ", \"outputs\": [");
		for (k = 0; k < r.n_outputs; k++)
		{
			appendStringInfoString(&buf, k ? ", {\"output\": " : "{\"output\": ");
			escape_json(&buf, model->class_names[k]);
			write_figures(&buf, &r.output[k]);
			appendStringInfoChar(&buf, '}');
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}
