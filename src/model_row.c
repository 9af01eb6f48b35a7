/*
 * model_row.c — one row of features read for a model, in the model's
 * feature order: a float8[] (model_read_features, for prediction and for the
 * training aggregates bpnn_gradient and bpnn_train_epoch), or, matched to
 * the model's feature columns by name, for bpnn_predict and its kin, a
 * jsonb object (to_jsonb(t), a driver's JSON) or a record (a table's row
 * type, bpnn_predict(m, t)).
 *
 * The match is strict, as bpnn_evaluate's scan is: every feature column of
 * the model must be in the row (else error 22023 naming it) and hold a
 * value of its kind — a number, an array of the model's length of numbers,
 * or a text-like value for a one-hot column (a string, a boolean, an enum).
 * A row of another table, or of a renamed column, is an error, never a
 * column of NULLs.  Only missing_keys => 'impute' lets an imputing model
 * impute columns a row lacks.  Keys and columns the model does not use are
 * ignored.  A NULL value follows the model's missing-value policy: imputed,
 * or the prediction is NULL, as in a float8[].
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "labels.h"
#include "model_row.h"

/*
 * one row of raw features from a float8[], in the model's order, NULLs
 * imputed or NULL
 */
const double *
model_read_features(const BpnnModel *m, ArrayType *features, double *buffer)
{
	int			n_features = model_n_features(m);
	int			count = ArrayGetNItems(ARR_NDIM(features), ARR_DIMS(features));
	Datum	   *elems;
	bool	   *nulls;
	int			f;

	/* ARRAY[[...], [...]] is not flattened: a row of features is a list */
	if (ARR_NDIM(features) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the features must be a one-dimensional array")));
	/* memchr: this runs for every row scored */
	if (memchr(m->column_kinds, BPNN_COLUMN_CATEGORY, m->n_columns) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the model has text feature columns, which a float8[] cannot hold"),
				 errhint("Pass the row as a record or as jsonb instead, for example bpnn_predict(model, t) or bpnn_predict(model, to_jsonb(t)).")));
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

/* the missing_keys argument: true for 'impute', which the model must allow */
bool
model_row_impute_missing_keys(const BpnnModel *m, text *missing_keys)
{
	char	   *option = text_to_cstring(missing_keys);

	if (strcmp(option, "error") == 0)
		return false;
	if (strcmp(option, "impute") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing_keys must be 'error' or 'impute', not '%s'", option)));
	if (m->missing != BPNN_MISSING_IMPUTE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing_keys => 'impute' needs a model trained with missing => 'impute'"),
				 errdetail("This model leaves out rows with missing values: it has nothing to impute them with.")));
	return true;
}

/* ---------- what both forms share ---------- */

static void no_such_column(const BpnnModel *m, int column, bool json) pg_attribute_noreturn();

/* the error for a feature column the row lacks: a jsonb key or a record's column */
static void
no_such_column(const BpnnModel *m, int column, bool json)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 json ?
			 errmsg("the row has no key \"%s\", a feature column of the model",
					m->column_names[column]) :
			 errmsg("the row has no column \"%s\", a feature column of the model",
					m->column_names[column]),
			 errdetail("A row must give every column the model was trained on: bpnn_info(model)->'columns' lists them."),
			 m->missing == BPNN_MISSING_IMPUTE ?
			 errhint("Pass missing_keys => 'impute' to impute the columns a row lacks.") :
			 errhint("Check the column names: a row of another table, or a renamed column, does not fit the model.")));
}

/*
 * A NULL value (or, when asked, an absent column): its imputed values, or
 * false when the row is left out
 */
static bool
fill_missing(const BpnnModel *m, int column, int first, double *values)
{
	int			k;

	if (m->missing != BPNN_MISSING_IMPUTE)
		return false;
	/* a one-hot column's impute values are 0: no category at all */
	for (k = 0; k < m->column_widths[column]; k++)
		values[first + k] = m->impute[first + k];
	return true;
}

/*
 * The index of a text value among a column's categories, -1 if none.
 * Training reads values with ::text, which drops the blank padding of
 * char(n); to_jsonb and a record keep it, so a padded value matches
 * without it.
 */
static int
category_index(const BpnnModel *m, int column, const char *text)
{
	size_t		len;
	int			k;

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

/* a one-hot column's inputs; a value unseen in training is no category */
static void
fill_category(const BpnnModel *m, int column, int first, const char *text, double *values)
{
	int			hit = category_index(m, column, text);
	int			k;

	for (k = 0; k < m->column_widths[column]; k++)
		values[first + k] = k == hit ? 1.0 : 0.0;
}

/* a number feature's types: labels.c's number types but oid, as in training */
static bool
is_feature_number(Oid base)
{
	return labels_type_is_number(base) && base != OIDOID;
}

/* ---------- a jsonb object ---------- */

/* what a JSON value is, for messages */
static const char *
json_kind(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "another JSON value";
	}
}

/*
 * a JSON value of a number column as a double (a boolean as 0 or 1), or an
 * error
 */
static double
json_number(const BpnnModel *m, int column, const JsonbValue *v, bool element)
{
	/* a boolean column trains as 0 or 1, and to_jsonb gives true or false */
	if (v->type == jbvBool && !element)
		return v->val.boolean ? 1.0 : 0.0;
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 element ?
				 errmsg("the elements of feature column \"%s\" must be JSON numbers, not %s",
						m->column_names[column], json_kind(v)) :
				 errmsg("feature column \"%s\" must be a JSON number, not %s",
						m->column_names[column], json_kind(v))));
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

/* a jsonb object's values for the model's columns (see model_row.h) */
const double *
model_row_from_jsonb(CachedModel *cm, Jsonb *row, bool impute_missing_keys)
{
	const BpnnModel *m = cm->model;
	double	   *values = cm->row;
	bool		left_out = false;
	int			c,
				k,
				n = 0;

	if (!JB_ROOT_IS_OBJECT(row))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the features must be a JSON object of column values")));
	/* every column is checked, even after a NULL has left the row out */
	for (c = 0; c < m->n_columns; c++)
	{
		const char *name = m->column_names[c];
		int			width = m->column_widths[c];
		JsonbValue *v = getKeyJsonValueFromContainer(&row->root, name, strlen(name), NULL);

		if (v == NULL && !impute_missing_keys)
			no_such_column(m, c, true);
		if (v == NULL || v->type == jbvNull)
			left_out |= !fill_missing(m, c, n, values);
		else if (m->column_kinds[c] == BPNN_COLUMN_NUMBER)
			values[n] = json_number(m, c, v, false);
		else if (m->column_kinds[c] == BPNN_COLUMN_CATEGORY)
		{
			/* what ::text gave training: a string, or true/false */
			if (v->type == jbvString)
				fill_category(m, c, n, pnstrdup(v->val.string.val, v->val.string.len), values);
			else if (v->type == jbvBool)
				fill_category(m, c, n, v->val.boolean ? "true" : "false", values);
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("feature column \"%s\" must be a JSON string or boolean, not %s",
								name, json_kind(v)),
						 errdetail("The model one-hot encodes \"%s\" by its text values.", name)));
		}
		else
		{
			JsonbContainer *a = v->type == jbvBinary ? v->val.binary.data : NULL;

			if (a == NULL || !JsonContainerIsArray(a) || (int) JsonContainerSize(a) != width)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("feature column \"%s\" must be a JSON array of %d numbers", name, width)));
			for (k = 0; k < width; k++)
			{
				JsonbValue *e = getIthJsonbValueFromContainer(a, k);

				if (e->type != jbvNull)
					values[n + k] = json_number(m, c, e, true);
				else if (m->missing == BPNN_MISSING_IMPUTE)
					values[n + k] = m->impute[n + k];
				else
					left_out = true;
			}
		}
		n += width;
	}
	return left_out ? NULL : values;
}

/* ---------- a record ---------- */

/* how one feature column of the model is read from a record type */
typedef struct RecordColumn
{
	int			attno;			/* index among the record's attributes, -1: absent */
	Oid			type;			/* number: its base type; array: its element's */
	int16		elmlen;			/* array: its element's storage */
	bool		elmbyval;
	char		elmalign;
	bool		is_bool;		/* one-hot: ::text of a boolean is true/false */
	FmgrInfo	output;			/* other one-hot columns: the output function */
} RecordColumn;

/*
 * A record type matched to the model's columns, once per query and call
 * site (cm->extra); a call site that meets another record type, or a
 * composite type that ALTER TYPE has changed since, rebuilds it.
 */
typedef struct RecordMap
{
	MemoryContext cxt;			/* holds this map, under the model cache's */
	Oid			typid;
	int32		typmod;
	uint64		desc_id;		/* record_desc_id() when the map was made */
	TupleDesc	desc;
	Datum	   *datums;			/* room for one deformed row */
	bool	   *nulls;
	RecordColumn *columns;		/* one per model column */
} RecordMap;

/* does the record's column fit the model's? errors say why not */
static void
match_column_type(const BpnnModel *m, int c, Oid atttypid, RecordColumn *col, MemoryContext cxt)
{
	Oid			base = getBaseType(atttypid);
	Oid			elem = get_element_type(base);
	char		category;
	bool		preferred;
	const char *wanted = NULL;

	switch ((BpnnColumnKind) m->column_kinds[c])
	{
		case BPNN_COLUMN_NUMBER:
			/* a boolean column trains as one input, 0 or 1 */
			if (OidIsValid(elem) || !(is_feature_number(base) || base == BOOLOID))
				wanted = "a number";
			col->type = base;
			break;
		case BPNN_COLUMN_ARRAY:
			if (!OidIsValid(elem) || !is_feature_number(getBaseType(elem)))
				wanted = psprintf("an array of %d numbers", m->column_widths[c]);
			else
			{
				col->type = getBaseType(elem);
				get_typlenbyvalalign(elem, &col->elmlen, &col->elmbyval, &col->elmalign);
			}
			break;
		case BPNN_COLUMN_CATEGORY:
			get_type_category_preferred(base, &category, &preferred);
			if (category != TYPCATEGORY_STRING && category != TYPCATEGORY_BOOLEAN &&
				category != TYPCATEGORY_ENUM)
				wanted = "text, one-hot encoded by its values";
			else if (base == BOOLOID)
				col->is_bool = true;
			else
			{
				Oid			output;
				bool		varlena;

				getTypeOutputInfo(atttypid, &output, &varlena);
				fmgr_info_cxt(output, &col->output, cxt);
			}
			break;
		default:
			elog(ERROR, "unknown column kind %d", m->column_kinds[c]);
	}
	if (wanted)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of the row has type %s, which does not fit the model",
						m->column_names[c], format_type_be(atttypid)),
				 errdetail("The model takes \"%s\" as %s.", m->column_names[c], wanted)));
}

/*
 * Which descriptor a composite type has now: ALTER TYPE (of a type no
 * table uses) changes a named composite type's columns under the same OID,
 * and a row made after it (by a function called for each row, say) has the
 * new ones; a map of the old columns would deform it wrongly, reading an
 * int8 as a text's length.  The type cache numbers each descriptor it
 * builds, as ExecEvalFieldSelect checks.  A blessed anonymous record
 * type's descriptor never changes.
 */
static uint64
record_desc_id(Oid typid)
{
	if (typid == RECORDOID)
		return 0;
	return lookup_type_cache(typid, TYPECACHE_TUPDESC)->tupDesc_identifier;
}

/*
 * the row's record type matched to the model's columns, made once per type
 * and call site
 */
static RecordMap *
record_map(CachedModel *cm, HeapTupleHeader row)
{
	const BpnnModel *m = cm->model;
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);
	uint64		desc_id = record_desc_id(typid);
	RecordMap  *map = (RecordMap *) cm->extra;
	MemoryContext cxt,
				old;
	TupleDesc	desc;
	int			c,
				i;

	if (map != NULL && map->typid == typid && map->typmod == typmod && map->desc_id == desc_id)
		return map;
	/* another record type at this call site: the old map goes */
	if (map != NULL)
	{
		cm->extra = NULL;
		MemoryContextDelete(map->cxt);
	}
	/* under the model cache's context: freed with the model it matches */
	cxt = AllocSetContextCreate(cm->cxt, "bpnn record map", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	map = palloc0(sizeof(RecordMap));
	map->cxt = cxt;
	map->typid = typid;
	map->typmod = typmod;
	map->desc_id = desc_id;
	desc = lookup_rowtype_tupdesc(typid, typmod);
	map->desc = CreateTupleDescCopy(desc);
	ReleaseTupleDesc(desc);
	map->datums = palloc(sizeof(Datum) * Max(map->desc->natts, 1));
	map->nulls = palloc(sizeof(bool) * Max(map->desc->natts, 1));
	map->columns = palloc0(sizeof(RecordColumn) * m->n_columns);
	for (c = 0; c < m->n_columns; c++)
	{
		RecordColumn *col = &map->columns[c];

		col->attno = -1;
		for (i = 0; i < map->desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(map->desc, i);

			if (!att->attisdropped && strcmp(NameStr(att->attname), m->column_names[c]) == 0)
			{
				col->attno = i;
				match_column_type(m, c, att->atttypid, col, cxt);
				break;
			}
		}
	}
	MemoryContextSwitchTo(old);
	cm->extra = map;
	return map;
}

/* a value of a number type (is_feature_number's) as float8, as ::float8;
 * a boolean as 0 or 1 */
static double
number_value(Oid base, Datum d)
{
	switch (base)
	{
		case INT2OID:
			return (double) DatumGetInt16(d);
		case INT4OID:
			return (double) DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case FLOAT4OID:
			return (double) DatumGetFloat4(d);
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
		case BOOLOID:
			return DatumGetBool(d) ? 1.0 : 0.0;
		default:
			elog(ERROR, "type %u is not a number type", base);
			return 0.0;
	}
}

/* an array column's values; false when a NULL element leaves the row out */
static bool
array_values(const BpnnModel *m, int c, const RecordColumn *col, Datum d, int first,
			 double *values)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	int			width = m->column_widths[c];
	int			count = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	bool		left_out = false;
	Datum	   *elems;
	bool	   *nulls;
	int			k;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("array column \"%s\" contains a %d-dimensional array",
						m->column_names[c], ARR_NDIM(a)),
				 errdetail("Array features must be one-dimensional.")));
	if (count != width)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("array column \"%s\" has %d elements, the model takes %d",
						m->column_names[c], count, width)));
	deconstruct_array(a, ARR_ELEMTYPE(a), col->elmlen, col->elmbyval, col->elmalign,
					  &elems, &nulls, &count);
	for (k = 0; k < width; k++)
	{
		if (!nulls[k])
			values[first + k] = number_value(col->type, elems[k]);
		else if (m->missing == BPNN_MISSING_IMPUTE)
			values[first + k] = m->impute[first + k];
		else
			left_out = true;
	}
	return !left_out;
}

/* a record's values for the model's columns, by name (see model_row.h) */
const double *
model_row_from_record(CachedModel *cm, HeapTupleHeader row, bool impute_missing_keys)
{
	const BpnnModel *m = cm->model;
	RecordMap  *map = record_map(cm, row);
	double	   *values = cm->row;
	bool		left_out = false;
	HeapTupleData tuple;
	int			c,
				n = 0;

	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	heap_deform_tuple(&tuple, map->desc, map->datums, map->nulls);

	for (c = 0; c < m->n_columns; c++)
	{
		RecordColumn *col = &map->columns[c];
		Datum		d = col->attno >= 0 ? map->datums[col->attno] : (Datum) 0;

		if (col->attno < 0 && !impute_missing_keys)
			no_such_column(m, c, false);
		if (col->attno < 0 || map->nulls[col->attno])
			left_out |= !fill_missing(m, c, n, values);
		else if (m->column_kinds[c] == BPNN_COLUMN_NUMBER)
			values[n] = number_value(col->type, d);
		else if (m->column_kinds[c] == BPNN_COLUMN_CATEGORY)
			fill_category(m, c, n,
						  col->is_bool ? (DatumGetBool(d) ? "true" : "false") :
						  OutputFunctionCall(&col->output, d),
						  values);
		else
			left_out |= !array_values(m, c, col, d, n, values);
		n += m->column_widths[c];
	}
	return left_out ? NULL : values;
}
