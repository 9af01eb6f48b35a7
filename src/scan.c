/*
 * scan.c — reads a training set from a table or view (see scan.h).
 *
 * The rows are read with one SPI query made of catalog names
 * (quote_identifier), so the executor checks the calling user's privileges
 * and applies row-level security exactly as for the user's own SELECT.
 * Numbers and numeric arrays are decoded straight into a growing float32
 * matrix in the caller's memory context; text-like columns into category
 * ids beside it, one-hot encoded once the scan has seen every value.
 * The rows reach read_row through a DestReceiver, without SPI's tuple
 * table; per-row garbage goes into a context reset after every row.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "feature_choice.h"
#include "huge_pages.h"
#include "labels.h"
#include "model.h"
#include "scan.h"

typedef struct FeatureColumn
{
	char	   *name;
	BpnnColumnKind kind;
	bool		boolean;		/* a boolean, read as 0 or 1 */
	int			width;			/* inputs it gives; arrays: set by the first row,
								 * categories: by the end of the scan */
	int			first;			/* numbers and arrays: first column in the
								 * numeric part; categories: index among them */
	LabelIds   *values;			/* categories: value -> id */
	int			n_values;
	char	  **value_names;	/* categories: by id (first seen, or the model's) */
} FeatureColumn;

/*
 * SELECT label::text, f::float8, b::int4::float8, a::float8[], c::text ...
 * FROM rel: catalog names only; the label's text form is labels.c's
 * (regression: label::float8, or label::float8[] for several outputs)
 */
static char *
build_query(Relation rel, const char *label_column, bool regression, bool label_array,
			FeatureColumn *cols, int n)
{
	static const char *const casts[BPNN_COLUMN_KIND_COUNT] = {
		"pg_catalog.float8", "pg_catalog.float8[]", "pg_catalog.text"
	};
	StringInfoData q;
	int			i;

	initStringInfo(&q);
	if (regression)
		appendStringInfo(&q, "SELECT (%s)::pg_catalog.float8%s", quote_identifier(label_column),
						 label_array ? "[]" : "");
	else
		appendStringInfo(&q, "SELECT %s", labels_sql_text(label_column));
	for (i = 0; i < n; i++)
		appendStringInfo(&q, cols[i].boolean ? ", ((%s)::pg_catalog.int4)::%s" : ", (%s)::%s",
						 quote_identifier(cols[i].name), casts[cols[i].kind]);
	appendStringInfo(&q, " FROM %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));
	return q.data;
}

/* the error for a value check_finite refuses: NaN, infinite, or beyond float4 */
static pg_noinline void
report_not_finite(double v, const char *column)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 isnan(v) ? errmsg("column \"%s\" contains NaN", column) :
				 errmsg("column \"%s\" contains an infinite value", column),
				 errhint("Remove or replace the non-finite values before training.")));
	if (fabs(v) > FLT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("column \"%s\" contains a value out of range for training", column),
				 errdetail("Training holds values as float4, which ends near 3.4e38.")));
}

/*
 * an error if a column's value is NaN, infinite or beyond float4: one
 * comparison inline (NaN fails it too), the messages out of line
 */
static inline void
check_finite(double v, const char *column)
{
	if (unlikely(!(fabs(v) <= FLT_MAX)))
		report_not_finite(v, column);
}

/*
 * An array feature is one-dimensional on every path: streaming joins the
 * arrays of a row with array_cat and the aggregates read one dimension,
 * and a flattened 2 x 3 and 3 x 2 would be the same six inputs
 */
static void
check_one_dimensional(ArrayType *a, const char *column)
{
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array column \"%s\" contains a %d-dimensional array", column, ARR_NDIM(a)),
				 errdetail("Array features must be one-dimensional."),
				 errhint("Store the values as a one-dimensional array, or flatten them in a view.")));
}

/*
 * a regression label is a number: int2, int4, int8, float4, float8 or
 * numeric (labels.c's number types but oid, an identifier), or an array of
 * them (one output per element); returns whether it is an array
 */
static bool
check_regression_label(Oid type, const char *column)
{
	Oid			element = get_element_type(getBaseType(type));
	Oid			number = OidIsValid(element) ? element : type;

	if (!labels_type_is_number(number) || getBaseType(number) == OIDOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("label column \"%s\" is of type %s, not a number", column,
						format_type_be(type)),
				 errdetail("task => 'regression' predicts a label of type smallint, integer, bigint, real, double precision or numeric, or an array of one of them."),
				 errhint("Cast the label to a number in a view, or train a classifier.")));
	return OidIsValid(element);
}

/* the scan's growing result and its bookkeeping */
typedef struct BpnnScan
{
	TrainingSet *set;
	const ScanSpec *spec;
	MemoryContext target;
	FeatureColumn *cols;
	int			n_cols;
	int			n_numeric;		/* inputs from numbers and arrays */
	int			n_category_cols;
	float	   *num;			/* n_rows x n_numeric, NaN where NULL */
	int32	   *cat;			/* n_rows x n_category_cols, -1 where NULL or unknown */
	FeatureStats *num_stats;	/* of the numeric part, from the float8 values */
	double	   *row;			/* one row of the numeric part, NaN where NULL */
	int64		capacity;		/* rows num, cat and y have room for */
	int64		expected_rows;	/* pg_class.reltuples of a table, else 0 */
	LabelClasses *classes;		/* the labels seen, as labels.c makes them classes */
	bool		numeric_label;
	bool		label_array;	/* regression: a float8[] label, one output per element */
	int			n_targets;		/* regression: outputs (-1 until a row sets them) */
	int64		target_capacity;	/* values set->target has room for */
} BpnnScan;

/* a category column's dictionary: given by the model, or grown by the scan */
static void
init_category(BpnnScan *st, FeatureColumn *col, int model_column)
{
	MemoryContext old = MemoryContextSwitchTo(st->target);
	int			v;

	col->values = label_ids_create(64);
	if (model_column >= 0)
	{
		const BpnnModel *m = st->spec->model;

		col->n_values = m->column_widths[model_column];
		col->value_names = m->categories[model_column];
		for (v = 0; v < col->n_values; v++)
			label_ids_add(col->values, col->value_names[v], v);
	}
	else
		col->value_names = palloc(sizeof(char *) * BPNN_MAX_CATEGORIES);
	MemoryContextSwitchTo(old);
}

/* the first row with every array present fixes the array widths */
static void
fix_layout(BpnnScan *st, const Datum *values)
{
	int			c,
				n = 0;

	for (c = 0; c < st->n_cols; c++)
	{
		FeatureColumn *col = &st->cols[c];

		if (col->kind == BPNN_COLUMN_CATEGORY)
			continue;
		if (col->kind == BPNN_COLUMN_ARRAY)
		{
			ArrayType  *a = DatumGetArrayTypeP(values[c + 1]);

			check_one_dimensional(a, col->name);
			col->width = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
			if (col->width == 0)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("array column \"%s\" contains an empty array", col->name)));
		}
		col->first = n;
		n += col->width;
		if (n > BPNN_MAX_UNITS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many inputs: at most %d are allowed", BPNN_MAX_UNITS)));
	}
	st->n_numeric = n;
	st->num_stats = MemoryContextAlloc(st->target, sizeof(FeatureStats) * Max(n, 1));
	feature_stats_init(st->num_stats, n);
	st->row = MemoryContextAlloc(st->target, sizeof(double) * Max(n, 1));
}

/* room for one more row; false when the memory limit stops a streamable scan */
static bool
ensure_capacity(BpnnScan *st)
{
	TrainingSet *set = st->set;
	Size		row_bytes = sizeof(float) * (Size) st->n_numeric +
		sizeof(int32) * (st->n_category_cols + 1);
	int64		max_rows = (int64) Min(st->spec->memory_limit / row_bytes, (Size) PG_INT32_MAX);
	int64		want;

	if (set->n_rows < st->capacity)
		return true;
	/* not even one row fits: neither memory nor streaming can take it */
	if (max_rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a row of %s is wider than bpnn.memory_limit", set->source_name),
				 errdetail("One row takes %zu bytes as float4; bpnn.memory_limit is %zu kB.",
						   row_bytes, st->spec->memory_limit / 1024),
				 errhint("Raise bpnn.memory_limit, or use fewer features.")));
	if (set->n_rows >= max_rows && st->spec->stream_over_limit)
	{
		set->over_limit = true;
		return false;
	}
	if (set->n_rows >= max_rows)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 st->spec->model != NULL ?
				 errmsg("the rows to score exceed bpnn.memory_limit") :
				 errmsg("training data exceeds bpnn.memory_limit"),
				 errdetail("The rows read so far take %zu kB as float4; bpnn.memory_limit is %zu kB.",
						   (Size) ((set->n_rows + 1) * row_bytes / 1024),
						   st->spec->memory_limit / 1024),
				 errhint("Raise bpnn.memory_limit, or train on fewer rows or features.")));
	/*
	 * The first allocation takes the planner's row estimate of a table, so
	 * that the matrix is neither copied as it grows nor larger than needed
	 * (a wrong estimate only means doubling from there)
	 */
	if (st->capacity == 0 && st->expected_rows > 0)
		want = Min(Max(st->expected_rows + 16, 1024), max_rows);
	else
		want = Min(Max(st->capacity * 2, 1024), max_rows);
	if (st->capacity == 0)
	{
		st->num = MemoryContextAllocHuge(st->target, sizeof(float) * (Size) Max(st->n_numeric, 1) * want);
		st->cat = MemoryContextAllocHuge(st->target, sizeof(int32) * (Size) Max(st->n_category_cols, 1) * want);
		set->y = MemoryContextAllocHuge(st->target, sizeof(int32) * (Size) want);
	}
	else
	{
		st->num = repalloc_huge(st->num, sizeof(float) * (Size) Max(st->n_numeric, 1) * want);
		st->cat = repalloc_huge(st->cat, sizeof(int32) * (Size) Max(st->n_category_cols, 1) * want);
		set->y = repalloc_huge(set->y, sizeof(int32) * (Size) want);
	}
	/* the matrix is filled row by row: a fault per huge page, not per page */
	advise_huge_pages(st->num, sizeof(float) * (Size) Max(st->n_numeric, 1) * want);
	st->capacity = want;
	return true;
}

/* the id of a category value: known, new (training), or -1 (unknown to a model) */
static int32
category_id(BpnnScan *st, FeatureColumn *col, const char *value)
{
	int32		id = label_ids_find(col->values, value);

	if (id >= 0 || st->spec->model != NULL)
		return id;
	/* the value names an input, "column=value", which a model bounds */
	if (strlen(col->name) + 1 + strlen(value) > BPNN_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column \"%s\" has a value longer than %d bytes", col->name,
						BPNN_MAX_NAME_BYTES - 1 - (int) strlen(col->name)),
				 errdetail("Its one-hot input is named \"%s=value\", and a model's input names have at most %d bytes.",
						   col->name, BPNN_MAX_NAME_BYTES)));
	if (col->n_values >= BPNN_MAX_CATEGORIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column \"%s\" has more than %d distinct values", col->name,
						BPNN_MAX_CATEGORIES),
				 errhint("A text feature is one-hot encoded, one input per value; leave \"%s\" out of features.",
						 col->name)));
	id = col->n_values++;
	col->value_names[id] = MemoryContextStrdup(st->target, value);
	label_ids_add(col->values, col->value_names[id], id);
	return id;
}

/* is any feature of the row NULL (a NULL array, or a NULL element)? */
static bool
row_has_null(BpnnScan *st, const Datum *values, const bool *nulls)
{
	int			c;

	for (c = 0; c < st->n_cols; c++)
	{
		if (nulls[c + 1] || (st->cols[c].kind == BPNN_COLUMN_ARRAY &&
							 array_contains_nulls(DatumGetArrayTypeP(values[c + 1]))))
			return true;
	}
	return false;
}

/* do all arrays of the row have values, so that their widths can be read? */
static bool
arrays_present(BpnnScan *st, const bool *nulls)
{
	int			c;

	for (c = 0; c < st->n_cols; c++)
		if (st->cols[c].kind == BPNN_COLUMN_ARRAY && nulls[c + 1])
			return false;
	return true;
}

/*
 * A regression row's targets appended to set->target: its number, or the
 * elements of its array, as many in every row (the first row sets how many;
 * a model being evaluated, its outputs)
 */
static void
add_targets(BpnnScan *st, Datum label, const char *column)
{
	TrainingSet *set = st->set;
	Datum		one = label;
	Datum	   *elems = &one;
	bool	   *nulls = NULL;
	int			n = 1,
				k;

	if (st->label_array)
	{
		ArrayType  *a = DatumGetArrayTypeP(label);

		check_one_dimensional(a, column);
		deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	}
	if (st->n_targets < 0)
	{
		if (n < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("label column \"%s\" contains an empty array", column)));
		st->n_targets = n;
	}
	if (n != st->n_targets)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg_plural("label column \"%s\" contains an array of %d element, not %d",
							   "label column \"%s\" contains an array of %d elements, not %d",
							   n, column, n, st->n_targets),
				 st->spec->model ?
				 errdetail("Every label array holds one value per output of the model.") :
				 errdetail("Every label array holds one value per output, as the first row's does.")));
	if ((set->n_rows + 1) * n > st->target_capacity)
	{
		st->target_capacity = Max(st->target_capacity * 2, (set->n_rows + 1024) * n);
		set->target = set->target == NULL ?
			MemoryContextAllocHuge(st->target, sizeof(double) * st->target_capacity) :
			repalloc_huge(set->target, sizeof(double) * st->target_capacity);
	}
	for (k = 0; k < n; k++)
	{
		if (nulls && nulls[k])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("label column \"%s\" contains an array with a NULL element", column),
					 errhint("A NULL label leaves its row out; a NULL element of a label array is an error.")));
		check_finite(DatumGetFloat8(elems[k]), column);
		set->target[set->n_rows * n + k] = DatumGetFloat8(elems[k]);
	}
}

/* one row of the query: values[0] the label, values[c + 1] feature column c */
static void
read_row(BpnnScan *st, const Datum *values, const bool *nulls, const char *label_column)
{
	TrainingSet *set = st->set;
	bool		isnull = nulls[0];
	Datum		label = values[0];
	float	   *num;
	int32	   *cat;
	int			c,
				k;

	if (isnull)
	{
		set->rows_skipped++;
		return;
	}
	if (!st->spec->impute && row_has_null(st, values, nulls))
	{
		set->rows_skipped++;
		return;
	}
	if (st->n_numeric < 0)
	{
		/* array widths come from the first row that has every array */
		if (!arrays_present(st, nulls))
		{
			set->rows_skipped++;
			return;
		}
		fix_layout(st, values);
	}
	if (!ensure_capacity(st))
		return;

	num = st->num + (Size) set->n_rows * st->n_numeric;
	cat = st->cat + (Size) set->n_rows * st->n_category_cols;
	for (c = 0; c < st->n_cols; c++)
	{
		FeatureColumn *col = &st->cols[c];
		Datum		d = values[c + 1];

		isnull = nulls[c + 1];
		if (col->kind == BPNN_COLUMN_CATEGORY)
		{
			cat[col->first] = isnull ? -1 : category_id(st, col, TextDatumGetCString(d));
			if (isnull)
				set->values_imputed++;
		}
		else if (isnull)
		{
			for (k = 0; k < col->width; k++)
				st->row[col->first + k] = NAN;
			set->values_imputed += col->width;
		}
		else if (col->kind == BPNN_COLUMN_NUMBER)
		{
			double		v = DatumGetFloat8(d);

			check_finite(v, col->name);
			st->row[col->first] = v;
		}
		else
		{
			ArrayType  *a = DatumGetArrayTypeP(d);
			int			count = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
			Datum	   *elems;
			bool	   *nulls;

			check_one_dimensional(a, col->name);
			if (count != col->width)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("array column \"%s\" has %d elements in one row and %d in another",
								col->name, col->width, count),
						 errhint("Every row of an array feature must have the same length.")));
			if (!array_contains_nulls(a))
			{
				const double *v = (const double *) ARR_DATA_PTR(a);
				double	   *row = st->row + col->first;
				bool		bad = false;

				/* one branch-free pass; the slow checks name the problem */
				for (k = 0; k < count; k++)
				{
					bad |= !(fabs(v[k]) <= FLT_MAX);
					row[k] = v[k];
				}
				for (k = 0; bad && k < count; k++)
					check_finite(v[k], col->name);
			}
			else
			{
				deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
								  &elems, &nulls, &count);
				for (k = 0; k < count; k++)
				{
					if (nulls[k])
					{
						st->row[col->first + k] = NAN;
						set->values_imputed++;
						continue;
					}
					check_finite(DatumGetFloat8(elems[k]), col->name);
					st->row[col->first + k] = DatumGetFloat8(elems[k]);
				}
			}
		}
	}
	/* statistics from the float8 values, the matrix in float4 (NaN stays NaN) */
	feature_stats_add(st->num_stats, st->row, st->n_numeric);
	for (k = 0; k < st->n_numeric; k++)
		num[k] = (float) st->row[k];
	if (st->spec->regression)
	{
		add_targets(st, label, label_column);
		set->y[set->n_rows] = 0;
	}
	else
		set->y[set->n_rows] = labels_add(st->classes, TextDatumGetCString(label));
	set->n_rows++;
}

/*
 * The executor hands each row of the query straight to read_row (a
 * DestReceiver, as COPY TO and CREATE TABLE AS use): no tuple is formed or
 * copied into an SPI tuple table, and the slot decodes every column once.
 * The executor checks for interrupts as it scans.
 */
typedef struct ScanReceiver
{
	DestReceiver pub;
	BpnnScan   *st;
	const char *label_column;
	MemoryContext batch_cxt;
	ErrorContextCallback *outer_context;	/* the error context outside SPI */
} ScanReceiver;

/* the scan's DestReceiver: decode one row into the training set */
static bool
scan_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ScanReceiver *r = (ScanReceiver *) self;
	MemoryContext old = MemoryContextSwitchTo(r->batch_cxt);
	ErrorContextCallback *spi_context = error_context_stack;

	slot_getallattrs(slot);

	/*
	 * Errors about the data are the user's, not the generated query's: leave
	 * SPI's "SQL statement" context line out of them (an error longjmps
	 * past the restore; whoever catches it resets the stack)
	 */
	error_context_stack = r->outer_context;
	read_row(r->st, slot->tts_values, slot->tts_isnull, r->label_column);
	error_context_stack = spi_context;
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->batch_cxt);
	/* past the memory limit of a streamable scan: stop the executor here */
	return !r->st->set->over_limit;
}

/* the DestReceiver's startup: nothing to do */
static void
scan_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

/* the DestReceiver's shutdown: nothing to do */
static void
scan_shutdown(DestReceiver *self)
{
}

/* the classes in order (labels.c), the class ids renumbered to match */
static void
order_classes(BpnnScan *st)
{
	TrainingSet *set = st->set;
	int32	   *new_id;
	int64		r;

	set->class_names = labels_order(st->classes, &new_id);
	for (r = 0; r < set->n_rows; r++)
		set->y[r] = new_id[set->y[r]];
	set->n_classes = labels_count(st->classes);
}

/* training: each category column's values sorted, its ids renumbered */
static void
order_categories(BpnnScan *st)
{
	int			c;
	int64		r;

	for (c = 0; c < st->n_cols; c++)
	{
		FeatureColumn *col = &st->cols[c];
		int32	   *new_id;
		char	  **sorted;
		int			v;

		if (col->kind != BPNN_COLUMN_CATEGORY)
			continue;
		if (col->n_values == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" has only NULL values", col->name)));
		sorted = MemoryContextAlloc(st->target, sizeof(char *) * col->n_values);
		memcpy(sorted, col->value_names, sizeof(char *) * col->n_values);
		labels_sort(sorted, col->n_values, false);
		new_id = palloc(sizeof(int32) * col->n_values);
		for (v = 0; v < col->n_values; v++)
			new_id[label_ids_find(col->values, sorted[v])] = v;
		for (r = 0; r < st->set->n_rows; r++)
		{
			int32	   *id = &st->cat[(Size) r * st->n_category_cols + col->first];

			if (*id >= 0)
				*id = new_id[*id];
		}
		col->value_names = sorted;
		col->width = col->n_values;
	}
}

/*
 * The final inputs: the numeric part with NULLs imputed, category columns
 * one-hot encoded, in column order; names, statistics and imputed values
 * to match.
 */
static void
assemble(BpnnScan *st)
{
	TrainingSet *set = st->set;
	const BpnnModel *m = st->spec->model;
	MemoryContext old = MemoryContextSwitchTo(st->target);
	FeatureStats *num_stats = st->num_stats;
	double	   *num_impute = palloc(sizeof(double) * Max(st->n_numeric, 1));
	int			c,
				k,
				n;
	int64		r;

	set->n_inputs = 0;
	for (c = 0; c < st->n_cols; c++)
	{
		if (m != NULL && st->cols[c].width != m->column_widths[c])
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("column \"%s\" has %d elements, but the model was trained on %d",
							st->cols[c].name, st->cols[c].width, m->column_widths[c])));
		set->n_inputs += st->cols[c].width;
	}
	if (set->n_inputs > BPNN_MAX_UNITS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many inputs: %d, at most %d are allowed", set->n_inputs, BPNN_MAX_UNITS),
				 errhint("Text columns give one input per distinct value.")));
	if (st->n_category_cols > 0 &&
		sizeof(float) * (Size) set->n_inputs * set->n_rows > st->spec->memory_limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training data exceeds bpnn.memory_limit"),
				 errdetail("The rows with their one-hot inputs take %zu kB as float4; bpnn.memory_limit is %zu kB.",
						   sizeof(float) * (Size) set->n_inputs * set->n_rows / 1024,
						   st->spec->memory_limit / 1024),
				 errhint("Raise bpnn.memory_limit, or leave text columns with many values out of features.")));
	set->feature_names = palloc(sizeof(char *) * set->n_inputs);
	set->stats = palloc(sizeof(FeatureStats) * set->n_inputs);
	set->impute = palloc0(sizeof(double) * set->n_inputs);
	set->n_columns = st->n_cols;
	set->column_names = palloc(sizeof(char *) * st->n_cols);
	set->column_widths = palloc(sizeof(int32) * st->n_cols);
	set->column_kinds = palloc(sizeof(uint8) * st->n_cols);
	set->column_boolean = palloc(sizeof(bool) * st->n_cols);
	set->categories = palloc0(sizeof(char **) * st->n_cols);
	feature_stats_init(set->stats, set->n_inputs);

	n = 0;
	for (c = 0; c < st->n_cols; c++)
	{
		FeatureColumn *col = &st->cols[c];

		set->column_names[c] = col->name;
		set->column_widths[c] = col->width;
		set->column_kinds[c] = (uint8) col->kind;
		set->column_boolean[c] = col->boolean;
		for (k = 0; k < col->width; k++, n++)
		{
			if (col->kind == BPNN_COLUMN_CATEGORY)
			{
				set->feature_names[n] = psprintf("%s=%s", col->name, col->value_names[k]);
				continue;		/* one-hot inputs impute to 0 and keep empty stats */
			}
			set->feature_names[n] = col->kind == BPNN_COLUMN_NUMBER ? col->name
				: psprintf("%s[%d]", col->name, k + 1);
			set->stats[n] = num_stats[col->first + k];
			if (m != NULL)
				set->impute[n] = m->impute[n];
			else if (num_stats[col->first + k].count > 0)
				set->impute[n] = num_stats[col->first + k].mean;
			else if (st->spec->impute)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" has only NULL values", col->name)));
			/*
			 * Evaluation imputes with the model's values now; training keeps
			 * NaN, so that each training run (a cross-validation fold, say)
			 * imputes with the means of its own rows
			 */
			num_impute[col->first + k] = m != NULL ? set->impute[n] : NAN;
		}
		if (col->kind == BPNN_COLUMN_CATEGORY)
			set->categories[c] = col->value_names;
	}

	if (st->n_category_cols == 0)
	{
		/* no one-hot columns: the numeric part is the matrix */
		set->x = st->num;
		for (r = 0; set->values_imputed > 0 && r < set->n_rows; r++)
			for (k = 0; k < st->n_numeric; k++)
				if (isnan(set->x[(Size) r * st->n_numeric + k]))
					set->x[(Size) r * st->n_numeric + k] = (float) num_impute[k];
	}
	else
	{
		set->x = MemoryContextAllocHuge(st->target,
										sizeof(float) * (Size) set->n_inputs * Max(set->n_rows, 1));
		for (r = 0; r < set->n_rows; r++)
		{
			const float *src = st->num + (Size) r * st->n_numeric;
			const int32 *ids = st->cat + (Size) r * st->n_category_cols;
			float	   *dst = set->x + (Size) r * set->n_inputs;

			for (c = 0; c < st->n_cols; c++)
			{
				FeatureColumn *col = &st->cols[c];

				if (col->kind == BPNN_COLUMN_CATEGORY)
				{
					for (k = 0; k < col->width; k++)
						dst[k] = 0.0f;
					if (ids[col->first] >= 0)
						dst[ids[col->first]] = 1.0f;
				}
				else
					for (k = 0; k < col->width; k++)
						dst[k] = isnan(src[col->first + k]) ?
							(float) num_impute[col->first + k] : src[col->first + k];
				dst += col->width;
			}
			/* rows may be thousands of one-hot inputs wide: check often */
			if ((r & 0xFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		pfree(st->num);
		st->num = NULL;
	}
	MemoryContextSwitchTo(old);
}

/*
 * the training set of a relation: its rows, as the calling user, decoded
 * into memory
 */
TrainingSet *
scan_training_set(Oid relid, const char *label_column, const ScanSpec *spec)
{
	BpnnScan	st = {0};
	TrainingSet *set = palloc0(sizeof(TrainingSet));
	Relation	rel;
	AttrNumber	label_attnum;
	char		relkind = get_rel_relkind(relid);
	char	   *query;
	ScanReceiver receiver = {0};
	SPIExecuteOptions options = {0};
	SPIPlanPtr	plan;
	int			rc;
	ArrayType  *features = spec->features;
	FeatureChoice choice;
	int			c;

	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view", get_rel_name(relid))));

	if (spec->model != NULL)
	{
		/* evaluation reads the model's columns */
		Datum	   *names = palloc(sizeof(Datum) * spec->model->n_columns);

		for (c = 0; c < spec->model->n_columns; c++)
			names[c] = CStringGetTextDatum(spec->model->column_names[c]);
		features = construct_array(names, spec->model->n_columns, TEXTOID, -1, false,
								   TYPALIGN_INT);
	}

	/* the lock a SELECT would take; privileges are checked by the scan */
	rel = relation_open(relid, AccessShareLock);
	label_attnum = feature_column_attnum(rel, label_column);
	if ((relkind == RELKIND_RELATION || relkind == RELKIND_MATVIEW) &&
		rel->rd_rel->reltuples > 0)
		st.expected_rows = (int64) rel->rd_rel->reltuples;
	st.numeric_label = labels_type_is_number(get_atttype(relid, label_attnum));
	st.n_targets = spec->model && spec->regression ? model_n_classes(spec->model) : -1;
	if (spec->regression)
		st.label_array = check_regression_label(get_atttype(relid, label_attnum), label_column);
	if (spec->model && spec->regression && !st.label_array && st.n_targets != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the model predicts %d values, and label column \"%s\" holds one",
						st.n_targets, label_column)));
	st.set = set;
	st.spec = spec;
	st.target = CurrentMemoryContext;
	feature_choose(rel, label_column, features, spec->model ? NULL : spec->exclude, &choice);
	st.n_cols = choice.n_cols;
	st.cols = palloc0(sizeof(FeatureColumn) * Max(choice.n_cols, 1));
	st.n_numeric = -1;			/* until the first row fixes the array widths */
	for (c = 0; c < st.n_cols; c++)
	{
		FeatureColumn *col = &st.cols[c];

		col->name = choice.cols[c].name;
		col->kind = choice.cols[c].kind;
		col->boolean = choice.cols[c].boolean;
		/* models of bpnn 0.3 and before one-hot encode booleans */
		if (spec->model != NULL && col->boolean &&
			spec->model->column_kinds[c] == BPNN_COLUMN_CATEGORY)
		{
			col->kind = BPNN_COLUMN_CATEGORY;
			col->boolean = false;
		}
		if (spec->model != NULL && col->kind != spec->model->column_kinds[c])
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" is not of the kind the model was trained on",
							col->name),
					 spec->model->column_kinds[c] == BPNN_COLUMN_NUMBER ?
					 errdetail("The model takes it as a number.") :
					 spec->model->column_kinds[c] == BPNN_COLUMN_ARRAY ?
					 errdetail("The model takes it as an array of numbers.") :
					 errdetail("The model takes it as text (one-hot encoded).")));
		if (col->kind == BPNN_COLUMN_NUMBER)
			col->width = 1;
		else if (col->kind == BPNN_COLUMN_CATEGORY)
		{
			col->first = st.n_category_cols++;
			init_category(&st, col, spec->model ? c : -1);
			col->width = col->n_values;
		}
	}
	query = build_query(rel, label_column, spec->regression, st.label_array, st.cols, st.n_cols);
	set->source_name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												  RelationGetRelationName(rel));
	relation_close(rel, NoLock);
	set->n_skipped = choice.n_skipped;
	set->skipped_names = choice.skipped_names;
	set->skipped_reasons = choice.skipped_reasons;
	if (spec->model == NULL)
		feature_choice_report(&choice, set->source_name);

	st.classes = labels_begin(st.numeric_label, label_column);
	receiver.pub.receiveSlot = scan_receive;
	receiver.pub.rStartup = scan_startup;
	receiver.pub.rShutdown = scan_shutdown;
	receiver.pub.rDestroy = scan_shutdown;
	receiver.pub.mydest = DestNone;
	receiver.st = &st;
	receiver.label_column = label_column;
	receiver.outer_context = error_context_stack;
	/*
	 * Reset after every row, so its first block (a detoasted array of a few
	 * thousand elements fits) is reused from the heap: larger blocks freed
	 * in bulk were mmap'd and unmapped each time, and page faults on the
	 * fresh ones took half of a 60,000 x 784 scan once the matrix was
	 * allocated at its final size
	 */
	receiver.batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn scan row",
											   0, 64 * 1024, ALLOCSET_DEFAULT_MAXSIZE);
	options.read_only = true;
	options.dest = &receiver.pub;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", query,
			 SPI_result_code_string(SPI_result));
	/* a SELECT into a receiver of type DestNone reports SPI_OK_UTILITY */
	rc = SPI_execute_plan_extended(plan, &options);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan_extended failed for \"%s\": %s", query,
			 SPI_result_code_string(rc));
	SPI_finish();
	MemoryContextDelete(receiver.batch_cxt);

	if (set->n_rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no usable rows in relation %s", set->source_name),
				 set->rows_skipped > 0 ?
				 errdetail("All " INT64_FORMAT " rows have a NULL label or feature.",
						   set->rows_skipped) : 0));
	if (set->over_limit && st.n_category_cols > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training data exceeds bpnn.memory_limit"),
				 errdetail("Tables larger than bpnn.memory_limit are trained by streaming, which takes numbers and arrays of numbers only."),
				 errhint("Raise bpnn.memory_limit, or leave text columns out of features.")));
	set->numeric_label = st.numeric_label;
	set->regression = spec->regression;
	set->label_array = st.label_array;
	if (spec->regression)
	{
		/* an output per target, named after the label column ("col[i]" for an array) */
		set->n_classes = st.n_targets;
		set->class_names = palloc(sizeof(char *) * st.n_targets);
		for (c = 0; c < st.n_targets; c++)
			set->class_names[c] = st.label_array ? psprintf("%s[%d]", label_column, c + 1)
				: pstrdup(label_column);
	}
	else
		order_classes(&st);
	if (spec->max_classes > 0 && !set->over_limit && !spec->regression)
		labels_check_count(set->n_classes, spec->max_classes, label_column, set->n_rows,
						   set->numeric_label);
	if (spec->need_two_classes && set->n_classes < 2 && !set->over_limit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" has only one class, \"%s\"",
						label_column, set->class_names[0]),
				 errdetail("A classifier needs at least two distinct labels.")));
	if (spec->model == NULL)
		order_categories(&st);
	assemble(&st);
	return set;
}
