/*
 * regression.h — a regressor's predictions over scanned rows, in the
 * label's units, and the figures that judge them (see regression.c), for
 * bpnn_evaluate and bpnn_cross_validate.
 */
#ifndef BPNN_REGRESSION_H
#define BPNN_REGRESSION_H

#include "fmgr.h"

#include "model.h"
#include "scan.h"

/* figures of one output, or of all together (means over every value) */
typedef struct RegressionFigures
{
	double		mse;			/* mean squared error, in the label's units squared */
	double		rmse;
	double		mae;
	double		r2;				/* 1 - SS_res / SS_tot; NaN when the labels are
								 * constant (all outputs: the mean of the
								 * outputs' R², as scikit-learn's
								 * uniform_average, NaN if one is NaN) */
} RegressionFigures;

typedef struct RegressionMetrics
{
	int64		rows;
	int			n_outputs;
	RegressionFigures all;
	RegressionFigures *output;	/* per output */
} RegressionMetrics;

/*
 * Score model on rows of set (all when rows is NULL): each row normalized
 * with the model's scaler, run forward, its output put back in the label's
 * units and compared with set->target
 */
extern void regression_score(const BpnnModel *model, const TrainingSet *set,
							 const int64 *rows, int64 n_rows, RegressionMetrics *metrics);

/* bpnn_evaluate of a regressor: rows, rmse, mae, r2 and mse as jsonb */
extern Datum regression_evaluate(const BpnnModel *model, Oid relid, const char *label_column);

#endif							/* BPNN_REGRESSION_H */
