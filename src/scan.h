/*
 * scan.h — reading a training set out of a table or view: one scan, as
 * the calling user, into a packed float32 matrix with class ids and
 * per-feature statistics.
 */
#ifndef BPNN_SCAN_H
#define BPNN_SCAN_H

#include "postgres.h"

#include "utils/array.h"

#include "normalize.h"

typedef struct TrainingSet
{
	char	   *source_name;	/* schema-qualified, quoted where needed */
	int64		n_rows;			/* rows read into x and y */
	int64		rows_skipped;	/* rows with a NULL label or feature */
	int			n_inputs;		/* matrix columns (array columns widen it) */
	char	  **feature_names;	/* n_inputs names; array elements as "col[i]" */
	int			n_columns;		/* the source columns the inputs come from */
	char	  **column_names;
	int32	   *column_widths;
	float	   *x;				/* n_rows x n_inputs, raw values */
	int32	   *y;				/* class ids */
	int			n_classes;
	char	  **class_names;	/* sorted: numerically for numeric labels */
	FeatureStats *stats;		/* n_inputs statistics of the raw values */
} TrainingSet;

/*
 * Scan relid for training (or evaluation).  features NULL means every
 * numeric column (and numeric array column) except the label.  The packed
 * rows may take at most memory_limit bytes.  Everything is allocated in the
 * current memory context.  Errors: missing or unsuitable columns,
 * non-finite values, no usable rows, the memory limit, and a single class
 * when need_two_classes.
 */
extern TrainingSet *scan_training_set(Oid relid, const char *label_column,
									  ArrayType *features, Size memory_limit,
									  bool need_two_classes);

/* a dictionary of strings to ids (class labels), in the current context */
typedef struct HTAB LabelIds;
extern LabelIds *label_ids_create(long expected);
extern int32 label_ids_find(LabelIds *ids, const char *label);	/* -1: absent */
extern void label_ids_add(LabelIds *ids, const char *label, int32 id);	/* label is kept, not copied */
extern long label_ids_count(LabelIds *ids);

#endif							/* BPNN_SCAN_H */
