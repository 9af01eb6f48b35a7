/*
 * feature_choice.c — which columns become features (see feature_choice.h).
 *
 * Named features are taken as named.  By default every column but the
 * label is a candidate, and these are left out, each with its reason:
 *
 *   - columns named in exclude;
 *   - keys: primary-key columns (pg_index.indisprimary, through the
 *     relcache's primary-key bitmap), identity columns (attidentity), and
 *     serial columns (a default of nextval() of a sequence owned by the
 *     column, as serial and bigserial make it): a row number predicts the
 *     class only where rows were numbered in class order;
 *   - free text: a text column whose distinct values are more than half of
 *     its non-NULL values (or more than a one-hot column may have, 1000),
 *     counted with one query as the calling user.  Most of its values
 *     then occur once or twice, and their one-hot inputs let the network
 *     memorize rows instead of learning (a note per row gave
 *     layers [155, 64, 3] and a perfect score in issue 13);
 *   - dates and times: a point in time as a number learns when rows were
 *     entered, and the rows to score later lie outside the range it was
 *     trained on; the useful number (an age, an hour, a weekday) is the
 *     user's choice, made in a view.  Named in features they are an error
 *     that says so;
 *   - types that cannot be features (geometry, jsonb, bytea, ...).
 *
 * Keys are found in the catalogs of a table; a view's columns carry no
 * keys, so through a view they must be left out with exclude.
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "nodes/bitmapset.h"
#include "nodes/primnodes.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "feature_choice.h"
#include "labels.h"

/*
 * The types a number feature may have: the number types of labels.c, but
 * for oid, which has no cast to float8
 */
static bool
is_number_type(Oid type)
{
	return labels_type_is_number(type) && getBaseType(type) != OIDOID;
}

/* the type category (pg_type.typcategory) of a type's base type */
static char
type_category(Oid type)
{
	char		category;
	bool		preferred;

	get_type_category_preferred(getBaseType(type), &category, &preferred);
	return category;
}

/* is the type a date, time, timestamp or interval? */
static bool
is_date_time(Oid type)
{
	char		category = type_category(type);

	return category == TYPCATEGORY_DATETIME || category == TYPCATEGORY_TIMESPAN;
}

/* how a column of this type becomes inputs, or -1 if it cannot be a feature */
int
feature_column_kind(Oid atttypid, bool *boolean)
{
	Oid			base = getBaseType(atttypid);
	Oid			elem = get_element_type(base);
	char		category;

	*boolean = false;
	if (OidIsValid(elem))
		return is_number_type(getBaseType(elem)) ? BPNN_COLUMN_ARRAY : -1;
	if (is_number_type(base))
		return BPNN_COLUMN_NUMBER;
	category = type_category(base);
	/* true and false are 1 and 0: one input, not two one-hot ones */
	if (category == TYPCATEGORY_BOOLEAN)
	{
		*boolean = true;
		return BPNN_COLUMN_NUMBER;
	}
	if (category == TYPCATEGORY_STRING || category == TYPCATEGORY_ENUM)
		return BPNN_COLUMN_CATEGORY;
	return -1;
}

static void refuse_type(const char *name, Oid type) pg_attribute_noreturn();

/* an error: the named feature column's type cannot be a feature */
static void
refuse_type(const char *name, Oid type)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("feature column \"%s\" has type %s, which cannot be a feature",
					name, format_type_be(type)),
			 is_date_time(type) ?
			 errhint("A date or time is not used as it is: derive the number that matters from it in a view, such as EXTRACT(EPOCH FROM ...) or EXTRACT(DOW FROM ...).") :
			 errhint("Feature columns are numbers, booleans, arrays of numbers, or text-like columns (one-hot encoded).")));
}

/* the names of a text[] argument (argument name for messages), one-dimensional, no NULL */
static char **
name_list(ArrayType *a, const char *argument, int *n)
{
	Datum	   *names;
	bool	   *nulls;
	char	  **out;
	int			i;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argument)));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", argument)));
		out[i] = TextDatumGetCString(names[i]);
	}
	return out;
}

/* a name in SQL's double quotes without them ("a""b" is a"b), else NULL */
static char *
unquoted(const char *name)
{
	size_t		len = strlen(name);
	StringInfoData out;
	size_t		i;

	if (len < 3 || name[0] != '"' || name[len - 1] != '"')
		return NULL;
	initStringInfo(&out);
	for (i = 1; i < len - 1; i++)
	{
		appendStringInfoChar(&out, name[i]);
		if (name[i] == '"' && name[i + 1] == '"')
			i++;
	}
	return out.data;
}

/* the attribute number of a column of rel, or an error naming it */
AttrNumber
feature_column_attnum(Relation rel, const char *name)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), name);
	char	   *plain;

	if (attnum > 0)
		return attnum;
	/* source is a regclass, parsed as SQL; column names are not */
	plain = unquoted(name);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of relation \"%s\" does not exist",
					name, RelationGetRelationName(rel)),
			 plain != NULL ?
			 errhint("Column names are taken as written, without SQL quotes: pass '%s', not '%s'.",
					 plain, name) : 0));
	return InvalidAttrNumber;	/* keep the compiler quiet */
}

/* the sequence of a nextval(...) call in a column default, if any */
static bool
find_nextval(Node *node, Oid *sequence)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == F_NEXTVAL)
	{
		Node	   *arg = linitial(((FuncExpr *) node)->args);

		if (IsA(arg, Const) && !((Const *) arg)->constisnull &&
			((Const *) arg)->consttype == REGCLASSOID)
		{
			*sequence = DatumGetObjectId(((Const *) arg)->constvalue);
			return true;
		}
	}
	return expression_tree_walker(node, find_nextval, (void *) sequence);
}

/* serial: the default calls nextval() of a sequence owned by this column */
static bool
is_serial(Relation rel, Form_pg_attribute att)
{
	Oid			sequence = InvalidOid;
	Oid			table;
	int32		column;

	if (!att->atthasdef)
		return false;
	if (!find_nextval(build_column_default(rel, att->attnum), &sequence))
		return false;
	return sequenceIsOwned(sequence, DEPENDENCY_AUTO, &table, &column) &&
		table == RelationGetRelid(rel) && column == att->attnum;
}

/* record a column the default choice left out, with its reason */
static void
skip(FeatureChoice *choice, const char *name, char *reason)
{
	choice->skipped_names[choice->n_skipped] = pstrdup(name);
	choice->skipped_reasons[choice->n_skipped] = reason;
	choice->n_skipped++;
}

/*
 * Leave out the text columns among choice's that are free text: one query,
 * as the calling user, counts each one's values and distinct values
 * (told apart by their bytes, as categories are)
 */
static void
skip_free_text(Relation rel, FeatureChoice *choice, const bool *is_text)
{
	StringInfoData q;
	MemoryContext mine = CurrentMemoryContext;
	int			c,
				k = 0,
				kept = 0,
				rc;

	initStringInfo(&q);
	for (c = 0; c < choice->n_cols; c++)
		if (is_text[c])
			appendStringInfo(&q, "%s pg_catalog.count(%s), pg_catalog.count(DISTINCT %s)",
							 q.len == 0 ? "SELECT" : ",",
							 quote_identifier(choice->cols[c].name),
							 labels_sql_text(choice->cols[c].name));
	if (q.len == 0)
		return;
	appendStringInfo(&q, " FROM %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));
	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	if ((rc = SPI_execute(q.data, true, 1)) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not count the distinct values of the text columns: %s",
			 SPI_result_code_string(rc));
	/* the reasons outlive SPI's context, which SPI_finish frees */
	MemoryContextSwitchTo(mine);
	for (c = 0; c < choice->n_cols; c++)
	{
		bool		isnull;
		int64		values,
					distinct;

		if (!is_text[c])
		{
			choice->cols[kept++] = choice->cols[c];
			continue;
		}
		values = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											 ++k, &isnull));
		distinct = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											   ++k, &isnull));
		if (values == 0)
			skip(choice, choice->cols[c].name, pstrdup("only NULL values"));
		else if (distinct > BPNN_MAX_CATEGORIES)
			skip(choice, choice->cols[c].name,
				 psprintf("free text: " INT64_FORMAT " distinct values, more than the %d a text column may have",
						  distinct, BPNN_MAX_CATEGORIES));
		else if (distinct * 2 > values)
			skip(choice, choice->cols[c].name,
				 psprintf("free text: " INT64_FORMAT " distinct values in " INT64_FORMAT " rows",
						  distinct, values));
		else
			choice->cols[kept++] = choice->cols[c];
	}
	SPI_finish();
	choice->n_cols = kept;
}

/* every usable column but label_column, the excluded ones, keys and free text */
static void
choose_by_default(Relation rel, const char *label_column, ArrayType *exclude,
				  FeatureChoice *choice)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Bitmapset  *primary_key = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	char	  **excluded = NULL;
	int			n_excluded = 0;
	bool	   *is_text = palloc0(sizeof(bool) * (desc->natts + 1));
	int			i,
				j;

	if (exclude != NULL)
	{
		excluded = name_list(exclude, "exclude", &n_excluded);
		for (j = 0; j < n_excluded; j++)
			(void) feature_column_attnum(rel, excluded[j]);
	}
	choice->skipped_names = palloc(sizeof(char *) * (desc->natts + 1));
	choice->skipped_reasons = palloc(sizeof(char *) * (desc->natts + 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		bool		boolean;
		int			kind;

		if (att->attisdropped || strcmp(name, label_column) == 0)
			continue;
		for (j = 0; j < n_excluded; j++)
			if (strcmp(excluded[j], name) == 0)
				break;
		kind = feature_column_kind(att->atttypid, &boolean);
		if (j < n_excluded)
			skip(choice, name, pstrdup("excluded"));
		else if (bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber, primary_key))
			skip(choice, name, pstrdup("primary key"));
		else if (att->attidentity != '\0')
			skip(choice, name, pstrdup("identity column"));
		else if (is_serial(rel, att))
			skip(choice, name, pstrdup("serial column"));
		else if (kind < 0 && is_date_time(att->atttypid))
			skip(choice, name, psprintf("date/time: %s", format_type_be(att->atttypid)));
		else if (kind < 0)
			skip(choice, name, psprintf("type %s", format_type_be(att->atttypid)));
		else
		{
			ChosenColumn *col = &choice->cols[choice->n_cols];

			col->name = pstrdup(name);
			col->kind = (BpnnColumnKind) kind;
			col->boolean = boolean;
			/* enums are declared categories; strings may be free text */
			is_text[choice->n_cols] = kind == BPNN_COLUMN_CATEGORY &&
				type_category(att->atttypid) == TYPCATEGORY_STRING;
			choice->n_cols++;
		}
	}
	skip_free_text(rel, choice, is_text);
	if (choice->n_cols == 0)
	{
		StringInfoData why;

		initStringInfo(&why);
		for (i = 0; i < choice->n_skipped; i++)
			appendStringInfo(&why, "%s%s (%s)", i ? "; " : "",
							 quote_identifier(choice->skipped_names[i]),
							 choice->skipped_reasons[i]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relation \"%s\" has no feature columns besides the label",
						RelationGetRelationName(rel)),
				 choice->n_skipped > 0 ? errdetail("Left out: %s.", why.data) : 0,
				 errhint("Feature columns are numbers, booleans, arrays of numbers, or text-like columns (one-hot encoded); name them in features to use a column left out.")));
	}
}

/* the columns named in features, as named */
static void
choose_named(Relation rel, const char *label_column, ArrayType *features,
			 FeatureChoice *choice)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			count,
				i,
				j;
	char	  **names = name_list(features, "features", &count);

	if (count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must name at least one column"),
				 errhint("Pass NULL to use every suitable column except the label.")));
	choice->cols = palloc0(sizeof(ChosenColumn) * count);
	for (i = 0; i < count; i++)
	{
		char	   *name = names[i];
		AttrNumber	attnum = feature_column_attnum(rel, name);
		Oid			type = TupleDescAttr(desc, attnum - 1)->atttypid;
		bool		boolean;
		int			kind;

		if (strcmp(name, label_column) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the label column \"%s\" cannot also be a feature", name)));
		for (j = 0; j < choice->n_cols; j++)
			if (strcmp(choice->cols[j].name, name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("feature column \"%s\" is named more than once", name)));
		kind = feature_column_kind(type, &boolean);
		if (kind < 0)
			refuse_type(name, type);
		choice->cols[choice->n_cols].name = name;
		choice->cols[choice->n_cols].kind = (BpnnColumnKind) kind;
		choice->cols[choice->n_cols].boolean = boolean;
		choice->n_cols++;
	}
}

/*
 * the feature columns: those named, or every usable column but the label and
 * the excluded
 */
void
feature_choose(Relation rel, const char *label_column, ArrayType *features,
			   ArrayType *exclude, FeatureChoice *choice)
{
	memset(choice, 0, sizeof(*choice));
	if (features != NULL && exclude != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features and exclude cannot both be given"),
				 errhint("Name the columns to use in features, or the columns to leave out in exclude.")));
	if (features != NULL)
		choose_named(rel, label_column, features, choice);
	else
	{
		choice->cols = palloc0(sizeof(ChosenColumn) * (RelationGetDescr(rel)->natts + 1));
		choose_by_default(rel, label_column, exclude, choice);
	}
}

/* the NOTICE of a default choice that left columns out */
void
feature_choice_report(const FeatureChoice *choice, const char *source)
{
	StringInfoData used,
				skipped;
	int			i;

	if (choice->n_skipped == 0)
		return;
	initStringInfo(&used);
	initStringInfo(&skipped);
	for (i = 0; i < choice->n_cols; i++)
		appendStringInfo(&used, "%s%s", i ? ", " : "", quote_identifier(choice->cols[i].name));
	for (i = 0; i < choice->n_skipped; i++)
		appendStringInfo(&skipped, "%s%s (%s)", i ? "; " : "",
						 quote_identifier(choice->skipped_names[i]), choice->skipped_reasons[i]);
	ereport(NOTICE,
			(errmsg("features of %s: %s", source, used.data),
			 errdetail("Left out: %s.", skipped.data),
			 errhint("Name the columns to use in features, or more columns to leave out in exclude; bpnn_info(model) lists both.")));
}
