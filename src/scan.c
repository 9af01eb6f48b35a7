/*
 * scan.c — reads a training set from a table or view (see scan.h).
 *
 * The rows are read with one SPI cursor over a query made of catalog names
 * (quote_identifier), so the executor checks the calling user's privileges
 * and applies row-level security exactly as for the user's own SELECT.
 * Values are decoded straight into a growing float32 matrix in the
 * caller's memory context; per-batch garbage goes into a context that is
 * reset after every fetch.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "model.h"
#include "scan.h"

#define SCAN_FETCH_ROWS 1000

typedef struct FeatureColumn
{
	char	   *name;
	bool		is_array;
	int			width;			/* inputs it gives; arrays: set by the first row */
} FeatureColumn;

typedef struct LabelEntry
{
	char	   *name;			/* key: a pointer to the label text */
	int32		id;
} LabelEntry;

static bool
is_number_type(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return true;
		default:
			return false;
	}
}

/* is the column usable as a feature, and is it an array of numbers? */
static bool
feature_type(Oid atttypid, bool *is_array)
{
	Oid			base = getBaseType(atttypid);
	Oid			elem = get_element_type(base);

	*is_array = OidIsValid(elem);
	return *is_array ? is_number_type(getBaseType(elem)) : is_number_type(base);
}

static FeatureColumn *
resolve_features(Relation rel, const char *label_column, ArrayType *features,
				 int *n_columns)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const char *relname = RelationGetRelationName(rel);
	FeatureColumn *cols;
	int			n = 0;
	int			i,
				j;

	if (features == NULL)
	{
		cols = palloc0(sizeof(FeatureColumn) * (desc->natts + 1));
		for (i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);
			bool		is_array;

			if (att->attisdropped || strcmp(NameStr(att->attname), label_column) == 0)
				continue;
			if (feature_type(att->atttypid, &is_array))
			{
				cols[n].name = pstrdup(NameStr(att->attname));
				cols[n].is_array = is_array;
				cols[n].width = is_array ? 0 : 1;
				n++;
			}
		}
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relation \"%s\" has no numeric columns besides the label", relname),
					 errhint("Feature columns must be numbers or arrays of numbers.")));
	}
	else
	{
		Datum	   *names;
		bool	   *nulls;
		int			count;

		if (ARR_NDIM(features) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("features must be a one-dimensional array")));
		deconstruct_array(features, TEXTOID, -1, false, TYPALIGN_INT,
						  &names, &nulls, &count);
		if (count == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must name at least one column"),
					 errhint("Pass NULL to use every numeric column except the label.")));
		cols = palloc0(sizeof(FeatureColumn) * count);
		for (i = 0; i < count; i++)
		{
			char	   *name;
			AttrNumber	attnum;
			bool		is_array;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("features must not contain NULL")));
			name = TextDatumGetCString(names[i]);
			attnum = get_attnum(RelationGetRelid(rel), name);
			if (attnum <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of relation \"%s\" does not exist",
								name, relname)));
			if (strcmp(name, label_column) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the label column \"%s\" cannot also be a feature", name)));
			for (j = 0; j < n; j++)
				if (strcmp(cols[j].name, name) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_DUPLICATE_COLUMN),
							 errmsg("feature column \"%s\" is named more than once", name)));
			if (!feature_type(TupleDescAttr(desc, attnum - 1)->atttypid, &is_array))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("feature column \"%s\" has type %s, which is not numeric",
								name, format_type_be(TupleDescAttr(desc, attnum - 1)->atttypid)),
						 errhint("Feature columns must be numbers or arrays of numbers.")));
			cols[n].name = name;
			cols[n].is_array = is_array;
			cols[n].width = is_array ? 0 : 1;
			n++;
		}
	}
	*n_columns = n;
	return cols;
}

/* SELECT label::text, f::float8, a::float8[] ... FROM rel: catalog names only */
static char *
build_query(Relation rel, const char *label_column, FeatureColumn *cols, int n)
{
	StringInfoData q;
	int			i;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT (%s)::pg_catalog.text", quote_identifier(label_column));
	for (i = 0; i < n; i++)
		appendStringInfo(&q, ", (%s)::pg_catalog.float8%s",
						 quote_identifier(cols[i].name), cols[i].is_array ? "[]" : "");
	appendStringInfo(&q, " FROM %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));
	return q.data;
}

static uint32
label_hash(const void *key, Size keysize)
{
	const char *s = *(char *const *) key;

	return hash_bytes((const unsigned char *) s, (int) strlen(s));
}

static int
label_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

LabelIds *
label_ids_create(long expected)
{
	HASHCTL		hctl = {0};

	/* the key is a pointer to the label: any length, hashed by content */
	hctl.keysize = sizeof(char *);
	hctl.entrysize = sizeof(LabelEntry);
	hctl.hash = label_hash;
	hctl.match = label_match;
	hctl.hcxt = CurrentMemoryContext;
	return hash_create("bpnn labels", expected, &hctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

int32
label_ids_find(LabelIds *ids, const char *label)
{
	LabelEntry *e = hash_search(ids, &label, HASH_FIND, NULL);

	return e ? e->id : -1;
}

void
label_ids_add(LabelIds *ids, const char *label, int32 id)
{
	bool		found;
	LabelEntry *e = hash_search(ids, &label, HASH_ENTER, &found);

	e->id = id;
}

long
label_ids_count(LabelIds *ids)
{
	return hash_get_num_entries(ids);
}

static bool label_sort_numeric;

static int
compare_labels(const void *a, const void *b)
{
	const char *x = *(char *const *) a;
	const char *y = *(char *const *) b;

	if (label_sort_numeric)
	{
		double		dx = strtod(x, NULL),
					dy = strtod(y, NULL);

		if (dx != dy)
			return dx < dy ? -1 : 1;
	}
	return strcmp(x, y);
}

static void
check_finite(double v, const char *column)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("column \"%s\" contains %s", column,
						isnan(v) ? "NaN" : "an infinite value"),
				 errhint("Remove or replace the non-finite values before training.")));
	if (fabs(v) > FLT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("column \"%s\" contains a value out of range for training", column),
				 errdetail("Training holds values as float4, which ends near 3.4e38.")));
}

/* the scan's growing result and its bookkeeping */
typedef struct BpnnScan
{
	TrainingSet *set;
	MemoryContext target;
	FeatureColumn *cols;
	int			n_cols;
	int64		capacity;		/* rows x and y have room for */
	Size		memory_limit;
	LabelIds   *labels;
	bool		numeric_label;
	double	   *row;			/* one row of values, for the statistics */
} BpnnScan;

/* the first complete row fixes the array widths and the matrix layout */
static void
fix_layout(BpnnScan *st, HeapTuple tuple, TupleDesc desc)
{
	TrainingSet *set = st->set;
	MemoryContext old = MemoryContextSwitchTo(st->target);
	int			c,
				k,
				n = 0;

	for (c = 0; c < st->n_cols; c++)
	{
		if (st->cols[c].is_array)
		{
			bool		isnull;
			ArrayType  *a = DatumGetArrayTypeP(SPI_getbinval(tuple, desc, c + 2, &isnull));

			st->cols[c].width = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
			if (st->cols[c].width == 0)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("array column \"%s\" contains an empty array", st->cols[c].name)));
		}
		n += st->cols[c].width;
		if (n > BPNN_MAX_UNITS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many inputs: at most %d are allowed", BPNN_MAX_UNITS)));
	}
	set->n_inputs = n;
	set->feature_names = palloc(sizeof(char *) * n);
	n = 0;
	for (c = 0; c < st->n_cols; c++)
	{
		if (!st->cols[c].is_array)
			set->feature_names[n++] = st->cols[c].name;
		else
			for (k = 0; k < st->cols[c].width; k++)
				set->feature_names[n++] = psprintf("%s[%d]", st->cols[c].name, k + 1);
	}
	set->n_columns = st->n_cols;
	set->column_names = palloc(sizeof(char *) * st->n_cols);
	set->column_widths = palloc(sizeof(int32) * st->n_cols);
	for (c = 0; c < st->n_cols; c++)
	{
		set->column_names[c] = st->cols[c].name;
		set->column_widths[c] = st->cols[c].width;
	}
	set->stats = palloc(sizeof(FeatureStats) * set->n_inputs);
	feature_stats_init(set->stats, set->n_inputs);
	st->row = palloc(sizeof(double) * set->n_inputs);
	MemoryContextSwitchTo(old);
}

static void
ensure_capacity(BpnnScan *st)
{
	TrainingSet *set = st->set;
	Size		row_bytes = sizeof(float) * (Size) set->n_inputs + sizeof(int32);
	int64		max_rows = (int64) Min(st->memory_limit / row_bytes, (Size) PG_INT32_MAX);
	int64		want;

	if (set->n_rows < st->capacity)
		return;
	if (set->n_rows >= max_rows)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training data exceeds bpnn.memory_limit"),
				 errdetail("The rows read so far take %zu kB as float4; bpnn.memory_limit is %zu kB.",
						   (Size) ((set->n_rows + 1) * row_bytes / 1024),
						   st->memory_limit / 1024),
				 errhint("Raise bpnn.memory_limit, or train on fewer rows or features.")));
	want = Min(Max(st->capacity * 2, 1024), max_rows);
	if (set->x == NULL)
	{
		set->x = MemoryContextAllocHuge(st->target, sizeof(float) * (Size) set->n_inputs * want);
		set->y = MemoryContextAllocHuge(st->target, sizeof(int32) * (Size) want);
	}
	else
	{
		set->x = repalloc_huge(set->x, sizeof(float) * (Size) set->n_inputs * want);
		set->y = repalloc_huge(set->y, sizeof(int32) * (Size) want);
	}
	st->capacity = want;
}

static int32
label_id(BpnnScan *st, const char *label, const char *label_column)
{
	int32		id;

	if (st->numeric_label && (strcmp(label, "NaN") == 0 ||
							  strcmp(label, "Infinity") == 0 ||
							  strcmp(label, "-Infinity") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("label column \"%s\" contains %s", label_column, label)));
	id = label_ids_find(st->labels, label);
	if (id >= 0)
		return id;
	if (label_ids_count(st->labels) >= BPNN_MAX_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("label column \"%s\" has more than %d distinct values",
						label_column, BPNN_MAX_CLASSES),
				 errhint("A label names a class; is \"%s\" an identifier column?",
						 label_column)));
	id = (int32) label_ids_count(st->labels);
	label_ids_add(st->labels, MemoryContextStrdup(st->target, label), id);
	return id;
}

static void
read_row(BpnnScan *st, HeapTuple tuple, TupleDesc desc, const char *label_column)
{
	TrainingSet *set = st->set;
	bool		isnull;
	Datum		label = SPI_getbinval(tuple, desc, 1, &isnull);
	float	   *dst;
	int			c,
				n = 0;

	if (isnull)
	{
		set->rows_skipped++;
		return;
	}
	/* a NULL anywhere among the features skips the row */
	for (c = 0; c < st->n_cols; c++)
	{
		Datum		d = SPI_getbinval(tuple, desc, c + 2, &isnull);

		if (isnull || (st->cols[c].is_array && array_contains_nulls(DatumGetArrayTypeP(d))))
		{
			set->rows_skipped++;
			return;
		}
	}
	if (set->feature_names == NULL)
		fix_layout(st, tuple, desc);
	ensure_capacity(st);

	dst = set->x + (Size) set->n_rows * set->n_inputs;
	for (c = 0; c < st->n_cols; c++)
	{
		Datum		d = SPI_getbinval(tuple, desc, c + 2, &isnull);

		if (!st->cols[c].is_array)
			st->row[n++] = DatumGetFloat8(d);
		else
		{
			ArrayType  *a = DatumGetArrayTypeP(d);
			int			count = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));

			if (count != st->cols[c].width)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("array column \"%s\" has %d elements in one row and %d in another",
								st->cols[c].name, st->cols[c].width, count),
						 errhint("Every row of an array feature must have the same length.")));
			memcpy(st->row + n, ARR_DATA_PTR(a), sizeof(double) * count);
			n += count;
		}
	}
	n = 0;
	for (c = 0; c < st->n_cols; c++)
	{
		int			k;

		for (k = 0; k < st->cols[c].width; k++, n++)
		{
			check_finite(st->row[n], st->cols[c].name);
			dst[n] = (float) st->row[n];
		}
	}
	feature_stats_add(set->stats, st->row, set->n_inputs);
	set->y[set->n_rows] = label_id(st, TextDatumGetCString(label), label_column);
	set->n_rows++;
}

/* sort the class names and renumber the class ids to match */
static void
order_classes(BpnnScan *st)
{
	TrainingSet *set = st->set;
	int			n = (int) label_ids_count(st->labels);
	int32	   *new_id = palloc(sizeof(int32) * n);
	HASH_SEQ_STATUS seq;
	LabelEntry *e;
	int64		r;
	int			i;

	set->class_names = MemoryContextAlloc(st->target, sizeof(char *) * n);
	hash_seq_init(&seq, st->labels);
	while ((e = hash_seq_search(&seq)) != NULL)
		set->class_names[e->id] = e->name;
	label_sort_numeric = st->numeric_label;
	qsort(set->class_names, n, sizeof(char *), compare_labels);
	for (i = 0; i < n; i++)
		new_id[label_ids_find(st->labels, set->class_names[i])] = i;
	for (r = 0; r < set->n_rows; r++)
		set->y[r] = new_id[set->y[r]];
	set->n_classes = n;
}

TrainingSet *
scan_training_set(Oid relid, const char *label_column, ArrayType *features,
				  Size memory_limit, bool need_two_classes)
{
	BpnnScan	st = {0};
	TrainingSet *set = palloc0(sizeof(TrainingSet));
	Relation	rel;
	AttrNumber	label_attnum;
	char		relkind = get_rel_relkind(relid);
	char	   *query;
	MemoryContext batch_cxt;
	SPIPlanPtr	plan;
	Portal		portal;

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

	/* the lock a SELECT would take; privileges are checked by the scan */
	rel = relation_open(relid, AccessShareLock);
	label_attnum = get_attnum(relid, label_column);
	if (label_attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						label_column, RelationGetRelationName(rel))));
	st.numeric_label = is_number_type(getBaseType(get_atttype(relid, label_attnum)));
	st.set = set;
	st.target = CurrentMemoryContext;
	st.memory_limit = memory_limit;
	st.cols = resolve_features(rel, label_column, features, &st.n_cols);
	query = build_query(rel, label_column, st.cols, st.n_cols);
	set->source_name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												  RelationGetRelationName(rel));
	relation_close(rel, NoLock);

	st.labels = label_ids_create(64);
	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn scan batch",
									  ALLOCSET_DEFAULT_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", query,
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		uint64		i;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, SCAN_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(batch_cxt);
		for (i = 0; i < SPI_processed; i++)
			read_row(&st, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, label_column);
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch_cxt);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(batch_cxt);

	if (set->n_rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no rows to train on in relation %s", set->source_name),
				 set->rows_skipped > 0 ?
				 errdetail("All " INT64_FORMAT " rows have a NULL label or feature.",
						   set->rows_skipped) : 0));
	order_classes(&st);
	if (need_two_classes && set->n_classes < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" has only one class, \"%s\"",
						label_column, set->class_names[0]),
				 errdetail("A classifier needs at least two distinct labels.")));
	return set;
}
