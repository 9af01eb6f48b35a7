/*
 * fuzz_fit_state.c — a libFuzzer harness for bpnn_fit's serialized state,
 * the bytes a parallel worker hands its leader: bpnn_fit_deserializefn in
 * src/fit_aggregate_state.c, with the serialize and combine functions
 * beside it and src/labels.c's classes.  Built like fuzz_model.c, with
 * test/fuzz/fit_shim.c for what the state functions call of the training
 * code; the seed corpus in test/fuzz/corpus-fit_state holds states written
 * by bpnn_fit_serializefn in parallel plans of the server (taken with a
 * throwaway build that saved each state it returned: labels of type text,
 * int4 with imputed NULL features, boolean, numeric and float8[], a worker
 * whose rows were all skipped), and the input a finding was made of.
 *
 * Each input is deserialized.  Beyond "no crash, no sanitizer report",
 * every outcome is checked:
 *   - a rejection carries a SQLSTATE the functions can give: 22023 (not a
 *     state, or options that are not an object), the options' JSON errors
 *     (22P02, 22P05, 22003, 54001), 22003 for a numeric label's NaN class,
 *     54000 for rows beyond bpnn.memory_limit;
 *   - an accepted state serializes to exactly the bytes it was read from
 *     (fit_shim.c keeps the options' text as read), and so does the state
 *     that combining it into an empty one makes.
 */
#include "postgres.h"

#include <stdlib.h>

#include "fmgr.h"
#include "utils/jsonb.h"

#include "pg_shim.h"
#include "fit_aggregate.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern Datum bpnn_fit_deserializefn(PG_FUNCTION_ARGS);
extern Datum bpnn_fit_serializefn(PG_FUNCTION_ARGS);
extern Datum bpnn_fit_combinefn(PG_FUNCTION_ARGS);

static const int errors[] = {ERRCODE_INVALID_PARAMETER_VALUE, ERRCODE_INVALID_TEXT_REPRESENTATION,
	ERRCODE_UNTRANSLATABLE_CHARACTER, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
ERRCODE_STATEMENT_TOO_COMPLEX, ERRCODE_PROGRAM_LIMIT_EXCEEDED};

typedef struct Call
{
	bytea	   *in;
	GroupRows  *result;
} Call;

/* fn(a[, b]) as an aggregate's support function is called; a NULL is SQL NULL */
static Datum
call2(PGFunction fn, int nargs, Datum a, Datum b, bool a_null)
{
	LOCAL_FCINFO(fcinfo, 2);

	InitFunctionCallInfoData(*fcinfo, NULL, nargs, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = a;
	fcinfo->args[0].isnull = a_null;
	fcinfo->args[1].value = b;
	fcinfo->args[1].isnull = false;
	return fn(fcinfo);
}

static void
deserialize(void *arg)
{
	Call	   *c = arg;

	c->result = (GroupRows *) DatumGetPointer(call2(bpnn_fit_deserializefn, 2,
													PointerGetDatum(c->in), (Datum) 0, false));
}

/* a state's serialized form; an error here is a finding */
static bytea *
serialize(GroupRows *g)
{
	return DatumGetByteaPP(call2(bpnn_fit_serializefn, 1, PointerGetDatum(g), (Datum) 0, false));
}

static void
same_bytes(const bytea *a, const uint8_t *data, size_t size, const char *what)
{
	if (VARSIZE(a) - VARHDRSZ != size || memcmp(VARDATA(a), data, size) != 0)
		shim_fail("fuzz_fit_state", what, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a varlena of exactly the input: the sanitizer sees any overread */
	bytea	   *in = malloc(VARHDRSZ + size);
	Call		c = {in, NULL};

	SET_VARSIZE(in, VARHDRSZ + size);
	memcpy(VARDATA(in), data, size);
	if (shim_try(deserialize, &c, errors, lengthof(errors), "fuzz_fit_state (deserialize)"))
	{
		GroupRows  *combined;

		if (shim_verbose())
			fprintf(stderr, "accepted: " INT64_FORMAT " rows of %d features, %d classes\n",
					c.result->n_rows, c.result->n_inputs, labels_count(c.result->classes));
		same_bytes(serialize(c.result), data, size,
				   "an accepted state does not serialize to the bytes it was read from");
		combined = (GroupRows *) DatumGetPointer(call2(bpnn_fit_combinefn, 2, (Datum) 0,
													   PointerGetDatum(c.result), true));
		if (combined == NULL)
			shim_fail("fuzz_fit_state", "combining an accepted state into none gives none", size);
		same_bytes(serialize(combined), data, size,
				   "an accepted state combined into an empty one serializes to other bytes");
	}
	free(in);
	shim_free_all();
	return 0;
}
