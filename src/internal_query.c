/*
 * internal_query.c — the SQL that bpnn runs itself (streaming training's
 * aggregate scans), made to call only the extension's own functions, and the
 * one value such a scan returns.
 *
 * The queries name their functions schema-qualified and pass every argument
 * with its exact type, but that is not enough on its own: a role that may
 * CREATE in the extension's schema can add a same-named function there that
 * wins overload resolution (over a polymorphic declaration, as bpnn_gradient's
 * label was in 0.2.0, or through an extra defaulted argument), and it would
 * run as the caller.  So every query is prepared, and
 * before each execution its analyzed form (revalidated first, so a re-parse
 * after an invalidation is checked too) must call, by name, nothing but
 * functions of pg_catalog or members of the extension (pg_depend).  Casts
 * are resolved through pg_cast, not by name, and views and row-level
 * security policies are the source's own: neither is checked here.
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/nodeFuncs.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/regproc.h"

#include "internal_query.h"

#define BPNN_EXTENSION_NAME "bpnn"

typedef struct CallCheck
{
	Oid			extension;
} CallCheck;

/* an error unless function fn is pg_catalog's or the extension's */
static void
check_function(Oid fn, const CallCheck *check)
{
	if (get_func_namespace(fn) == PG_CATALOG_NAMESPACE ||
		getExtensionOfObject(ProcedureRelationId, fn) == check->extension)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_AMBIGUOUS_FUNCTION),
			 errmsg("an internal query of bpnn resolved to function %s, which is not part of extension %s",
					format_procedure(fn), BPNN_EXTENSION_NAME),
			 errdetail("A function of the same name in the extension's schema won overload resolution."),
			 errhint("Drop that function, and let only trusted roles CREATE in the schema of extension %s.",
					 BPNN_EXTENSION_NAME)));
}

/* check every function and aggregate a query calls (a tree walker) */
static bool
check_calls_walker(Node *node, CallCheck *check)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref))
		check_function(((Aggref *) node)->aggfnoid, check);
	else if (IsA(node, WindowFunc))
		check_function(((WindowFunc *) node)->winfnoid, check);
	else if (IsA(node, FuncExpr) &&
			 ((FuncExpr *) node)->funcformat == COERCE_EXPLICIT_CALL)
		check_function(((FuncExpr *) node)->funcid, check);
	else if (IsA(node, Query))
		return query_tree_walker((Query *) node, check_calls_walker, check, 0);
	return expression_tree_walker(node, check_calls_walker, check);
}

/*
 * The functions the query text names sit in its target list, and in its
 * HAVING and GROUP BY clauses; the range table (the source, perhaps a view)
 * is left alone.
 */
static void
check_query(SPIPlanPtr plan)
{
	CallCheck	check = {0};
	ListCell   *lc;

	check.extension = get_extension_oid(BPNN_EXTENSION_NAME, false);
	foreach(lc, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *source = (CachedPlanSource *) lfirst(lc);

		/*
		 * Revalidate (re-analyze the query if an invalidation came), then
		 * check.  The check's own catalog lookups may take locks and so read
		 * invalidations: until the query checked is still the valid one,
		 * do it again
		 */
		do
		{
			ListCell   *q;

			CHECK_FOR_INTERRUPTS();
			(void) CachedPlanGetTargetList(source, NULL);
			foreach(q, source->query_list)
			{
				Query	   *query = lfirst_node(Query, q);

				(void) check_calls_walker((Node *) query->targetList, &check);
				(void) check_calls_walker(query->havingQual, &check);
			}
		} while (!source->is_valid);
	}
}

/* an internal query prepared with SPI, or an error */
SPIPlanPtr
internal_query_prepare(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	return plan;
}

/* run a prepared internal query after checking what it calls */
void
internal_query_run(SPIPlanPtr plan, Datum *values)
{
	int			rc;

	/*
	 * Nothing between the check and the execution takes a new lock, which
	 * is where invalidations are read (the query's relations were locked by
	 * its analysis): the execution finds valid, and runs, the very query
	 * that was checked
	 */
	check_query(plan);
	rc = SPI_execute_plan(plan, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

/* the one value of a one-row internal query, copied into cxt (see internal_query.h) */
struct varlena *
internal_query_value(SPIPlanPtr plan, Datum *values, const char *what, MemoryContext cxt)
{
	MemoryContext caller = CurrentMemoryContext,
				old;
	struct varlena *result = NULL;
	bool		isnull;
	Datum		d;

	internal_query_run(plan, values);
	if (SPI_processed != 1)
		elog(ERROR, "the %s query returned " UINT64_FORMAT " rows", what, SPI_processed);
	/* SPI returns in its own context, which SPI_finish frees */
	MemoryContextSwitchTo(caller);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		old = MemoryContextSwitchTo(cxt);
		result = PG_DETOAST_DATUM_COPY(d);
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
	return result;
}
