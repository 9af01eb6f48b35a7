/*
 * scan.h — reading a training set out of a table or view: one scan, as
 * the calling user, into a packed float32 matrix with class ids (or a
 * regressor's float8 targets) and per-feature statistics.  Numbers and
 * numeric arrays become inputs as they are, booleans 0 or 1; text-like
 * columns are one-hot encoded; NULL features are skipped with their row or
 * imputed.
 */
#ifndef BPNN_SCAN_H
#define BPNN_SCAN_H

#include "utils/array.h"

#include "labels.h"
#include "model.h"
#include "nn_normalize.h"

typedef struct TrainingSet
{
	char	   *source_name;	/* schema-qualified, quoted where needed */
	int64		n_rows;			/* rows read into x and y */
	int64		rows_skipped;	/* rows with a NULL label (or feature, unless imputed) */
	int64		values_imputed; /* NULL feature values replaced */
	int			n_inputs;		/* matrix columns (arrays and categories widen it) */
	char	  **feature_names;	/* n_inputs: "col", "col[i]" or "col=value" */
	int			n_columns;		/* the source columns the inputs come from */
	char	  **column_names;
	int32	   *column_widths;
	uint8	   *column_kinds;	/* BpnnColumnKind */
	char	 ***categories;		/* per category column: its values, sorted */
	bool	   *column_boolean;	/* per column: a boolean read as 0 or 1 */
	int			n_skipped;		/* default features: the columns left out */
	char	  **skipped_names;
	char	  **skipped_reasons;
	float	   *x;				/* n_rows x n_inputs, raw values, one-hot; NaN
								 * where a NULL awaits imputation (training) */
	int32	   *y;				/* class ids (regression: all 0) */
	double	   *target;			/* regression: n_rows x n_classes labels as
								 * float8 (a float8[] label: its elements) */
	bool		regression;		/* n_classes outputs, the label's values */
	bool		label_array;	/* regression: the label is a float8[] */
	int			n_classes;
	char	  **class_names;	/* in labels.c's order */
	FeatureStats *stats;		/* n_inputs statistics of the raw, non-NULL values */
	double	   *impute;			/* n_inputs: the means of all rows (training) or
								 * the model's values (evaluation) */
	bool		numeric_label;	/* a number type: classes sort as numbers (labels.c) */
	bool		over_limit;		/* stream_over_limit: the scan stopped at the
								 * memory limit, and the rows, classes and
								 * statistics cover only the rows read */
} TrainingSet;

typedef struct ScanSpec
{
	ArrayType  *features;		/* NULL: the default choice (feature_choice.c) */
	ArrayType  *exclude;		/* the default choice leaves these out */
	int			max_classes;	/* more classes are an error (0: no limit) */
	Size		memory_limit;	/* bytes the packed rows may take */
	bool		need_two_classes;
	bool		regression;		/* the label is a number to predict: read as
								 * float8 into target, one "class" named after
								 * the label column */
	bool		impute;			/* NULL features: impute (else skip the row) */
	bool		stream_over_limit;	/* past memory_limit: stop, set over_limit
									 * (else: an error) */
	const BpnnModel *model;		/* evaluation: read the model's columns, with
								 * its categories and imputed values */
} ScanSpec;

/*
 * Scan relid.  Everything is allocated in the current memory context.
 * Errors: missing or unsuitable columns, non-finite values, no usable rows,
 * the memory limit, more than max_classes classes, and a single class when
 * need_two_classes.  A default choice of features that left columns out
 * says which, and why, in a NOTICE.
 */
extern TrainingSet *scan_training_set(Oid relid, const char *label_column,
									  const ScanSpec *spec);

#endif							/* BPNN_SCAN_H */
