/*
 * gradient_state.c — the bpnn_state type (see gradient_state.h): creating,
 * flushing and adding states, their validation, and their text and binary
 * forms; and the SQL functions that read one, bpnn_state_info and
 * bpnn_state_gradient.  The text form is the binary form in hexadecimal,
 * so both are exact.  The fuzz harness builds this file outside the server
 * (test/fuzz/pg_shim.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "gradient_state.h"
#include "nn.h"

PG_FUNCTION_INFO_V1(bpnn_state_in);
PG_FUNCTION_INFO_V1(bpnn_state_out);
PG_FUNCTION_INFO_V1(bpnn_state_recv);
PG_FUNCTION_INFO_V1(bpnn_state_send);
PG_FUNCTION_INFO_V1(bpnn_state_info);
PG_FUNCTION_INFO_V1(bpnn_state_gradient);

#define STATE_MAGIC "BPGS"

static void bad_state(int sqlstate, const char *detail) pg_attribute_noreturn();

/* a row's label slots: a class id (targets 0) or its targets (float4) */
static Size
state_size(int32 n_weights, int32 model_len, int32 capacity, int32 n_features, int32 targets)
{
	return MAXALIGN(sizeof(BpnnState)) + sizeof(double) * (Size) n_weights +
		MAXALIGN(model_len) +
		(sizeof(float) * (Size) n_features + sizeof(int32) * (Size) Max(targets, 1)) *
		(Size) capacity;
}

/* a zeroed state of these sizes, its header filled in */
static BpnnState *
state_alloc(int32 n_weights, int32 model_len, int32 capacity, int32 n_features,
			int32 targets)
{
	Size		size = state_size(n_weights, model_len, capacity, n_features, targets);
	BpnnState  *s = palloc0(size);

	SET_VARSIZE(s, size);
	s->version = BPNN_STATE_VERSION;
	s->n_weights = n_weights;
	s->model_len = model_len;
	s->capacity = capacity;
	s->n_features = n_features;
	s->targets = targets;
	return s;
}

/*
 * A state handed to any function is a public input: a user can call the
 * support functions directly or build an aggregate on them.  Check that its
 * fields describe exactly the bytes it has, before any of them is used.
 */
BpnnState *
gradient_state_check(BpnnState *s)
{
	Size		size = VARSIZE_ANY(s);

	if (VARATT_IS_EXTENDED(s) || size < MAXALIGN(sizeof(BpnnState)))
		bad_state(ERRCODE_DATA_CORRUPTED, "It is shorter than a bpnn_state header.");

	/*
	 * A value stored by 0.2.0 or 0.3.0 (a table's bpnn_state column holds
	 * the in-memory form): version 1 had no targets field, but the same
	 * layout, its padding where targets now is; its labels were class ids.
	 * Upgraded on read, as hstore reads its old format, so that it can
	 * still be read, dumped and applied.
	 */
	if (s->version == 1)
	{
		BpnnState  *copy = palloc(size);

		memcpy(copy, s, size);
		copy->version = BPNN_STATE_VERSION;
		copy->targets = 0;
		s = copy;
	}
	if (s->version != BPNN_STATE_VERSION || s->reserved != 0)
		bad_state(ERRCODE_DATA_CORRUPTED, "Its format version is not one this bpnn reads.");
	if (s->n_weights < 1 || s->n_weights > BPNN_MAX_WEIGHTS ||
		s->n_features < 0 || s->n_features > BPNN_MAX_UNITS ||
		s->capacity < 0 || s->capacity > BPNN_STATE_CHUNK_ROWS ||
		s->buffered < 0 || s->buffered > s->capacity ||
		s->model_len < 0 || s->model_len > (int32) MaxAllocSize ||
		(s->capacity > 0) != (s->model_len > 0) ||
		(s->capacity > 0) != (s->n_features > 0) ||
		s->targets < 0 || s->targets > BPNN_MAX_UNITS || (s->targets > 0 && s->capacity == 0))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its sizes are out of range or inconsistent.");
	if (size != state_size(s->n_weights, s->model_len, s->capacity, s->n_features, s->targets))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its length does not match its sizes.");
	if (s->rows < 0 || s->skipped < 0 || s->correct < 0 || s->correct > s->rows)
		bad_state(ERRCODE_DATA_CORRUPTED, "Its row counts are inconsistent.");
	if (!isfinite(s->loss) || s->loss < 0.0)
		bad_state(ERRCODE_DATA_CORRUPTED, "Its loss is not a finite non-negative number.");
	return s;
}

/* an empty state for a model, with a copy of it and a row buffer if asked */
BpnnState *
gradient_state_create(const CachedModel *cm, bool with_buffer)
{
	const BpnnModel *m = cm->model;
	BpnnState  *s = state_alloc((int32) nn_weight_count(&m->layout),
								with_buffer ? (int32) cm->len : 0,
								with_buffer ? BPNN_STATE_CHUNK_ROWS : 0,
								with_buffer ? model_n_features(m) : 0,
								with_buffer ? state_targets_of(m) : 0);

	s->model_checksum = cm->checksum;
	if (with_buffer)
		memcpy(gradient_state_model_bytes(s), cm->bytes, cm->len);
	return s;
}

/* the workspace for summing a state's buffered rows with its model */
void
gradient_state_scratch_init(StateScratch *sc, const BpnnModel *m)
{
	int			n_out = model_n_classes(m);
	int			c;

	/* a valid model's class weights are finite and positive, not bounded */
	for (c = 0; c < n_out; c++)
		if (m->training.class_weights && !(m->training.class_weights[c] <= FLT_MAX))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("class weight %d of the model is out of range for float4", c + 1),
					 errdetail("The loss is computed in float4, which ends near 3.4e38.")));
	sc->model = m;
	nn_workspace_bind(&sc->ws, &m->layout, BPNN_STATE_CHUNK_ROWS,
					  palloc(sizeof(float) * nn_workspace_floats(&m->layout, BPNN_STATE_CHUNK_ROWS)));
	sc->grad = palloc0(sizeof(float) * nn_weight_count(&m->layout));
	sc->class_weight = palloc(sizeof(float) * n_out);
	for (c = 0; c < n_out; c++)
		sc->class_weight[c] = m->training.class_weights ? (float) m->training.class_weights[c] : 1.0f;
}

/* push the buffered rows through the network and add their sums */
void
gradient_state_sum_buffer(BpnnState *s, StateScratch *sc)
{
	const BpnnModel *m = sc->model;
	int			n_out = model_n_classes(m);
	double	   *sums = gradient_state_sums(s);
	const int32 *labels = gradient_state_labels(s);
	const float *out;
	int			i;
	Size		w;

	if (s->buffered == 0)
		return;
	/*
	 * The rows may have been read with another model of this one's sizes
	 * and checksum (which proves nothing): each label must be an output
	 */
	if (s->targets != state_targets_of(m))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its buffered labels are not of its model's task.");
	sc->ws.target = NULL;
	if (s->targets > 0)
	{
		/* a regressor's standardized targets, one per output and row */
		for (i = 0; i < s->buffered * s->targets; i++)
			if (!isfinite(gradient_state_targets(s)[i]))
				bad_state(ERRCODE_DATA_CORRUPTED, "A buffered row's target is not finite.");
		sc->ws.target = gradient_state_targets(s);
	}
	else
		for (i = 0; i < s->buffered; i++)
			if (labels[i] < 0 || labels[i] >= n_out)
				bad_state(ERRCODE_DATA_CORRUPTED, "A buffered row has no class of its model.");
	memcpy(sc->ws.act[0], gradient_state_buffer(s), sizeof(float) * (Size) s->buffered * s->n_features);
	nn_forward(&m->layout, m->weights, &sc->ws, s->buffered);
	out = sc->ws.act[m->layout.n_layers];
	if (s->targets == 0)
		for (i = 0; i < s->buffered; i++)
			if (nn_argmax(out + (Size) i * n_out, n_out) == labels[i])
				s->correct++;
	s->loss += nn_backward(&m->layout, m->weights, &sc->ws, s->buffered,
						   labels, sc->class_weight, sc->grad);
	sc->ws.target = NULL;
	for (w = 0; w < (Size) s->n_weights; w++)
	{
		sums[w] += sc->grad[w];
		sc->grad[w] = 0.0f;
	}
	s->rows += s->buffered;
	s->buffered = 0;
}

/* sum the buffered rows with the model the state carries */
void
gradient_state_flush(BpnnState *s)
{
	StateScratch sc = {0};
	MemoryContext cxt,
				old;

	const BpnnModel *m;

	if (s->buffered == 0)
		return;
	if (s->model_len == 0)
		bad_state(ERRCODE_DATA_CORRUPTED, "It has buffered rows but no model.");
	cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn state flush",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	/* the copy is checked like any stored model, then against the state */
	m = model_decode(gradient_state_model_bytes(s), s->model_len, ERRCODE_DATA_CORRUPTED);
	if (model_stored_checksum(gradient_state_model_bytes(s), s->model_len) != s->model_checksum ||
		(Size) s->n_weights != nn_weight_count(&m->layout) ||
		s->n_features != model_n_features(m))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its model copy is not the model it was computed for.");
	gradient_state_scratch_init(&sc, m);
	gradient_state_sum_buffer(s, &sc);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * the state without model or buffer (the rows summed first, the input
 * unchanged)
 */
BpnnState *
gradient_state_compact(BpnnState *s)
{
	BpnnState  *c;

	if (s->buffered > 0)
	{
		/* the input stays as it is: flush a copy */
		BpnnState  *copy = palloc(VARSIZE(s));

		memcpy(copy, s, VARSIZE(s));
		gradient_state_flush(copy);
		s = copy;
	}
	c = state_alloc(s->n_weights, 0, 0, 0, 0);
	c->model_checksum = s->model_checksum;
	c->rows = s->rows;
	c->skipped = s->skipped;
	c->correct = s->correct;
	c->loss = s->loss;
	memcpy(gradient_state_sums(c), gradient_state_sums(s), sizeof(double) * s->n_weights);
	return c;
}

/* an error: adding two states' sums overflowed */
static void
sum_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("the combined gradient's sums are out of range for double precision")));
}

/* the sum of two compact states of the same model */
BpnnState *
gradient_state_add(const BpnnState *a, const BpnnState *b)
{
	BpnnState  *r;
	const double *sa = gradient_state_sums((BpnnState *) a),
			   *sb = gradient_state_sums((BpnnState *) b);
	double	   *sr;
	int32		w;

	if (a->model_checksum != b->model_checksum || a->n_weights != b->n_weights)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine the gradients of two different models")));
	r = state_alloc(a->n_weights, 0, 0, 0, 0);
	r->model_checksum = a->model_checksum;
	if (pg_add_s64_overflow(a->rows, b->rows, &r->rows) ||
		pg_add_s64_overflow(a->skipped, b->skipped, &r->skipped) ||
		pg_add_s64_overflow(a->correct, b->correct, &r->correct))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the combined gradient counts more rows than bigint holds")));
	r->loss = a->loss + b->loss;
	sr = gradient_state_sums(r);
	for (w = 0; w < a->n_weights; w++)
		sr[w] = sa[w] + sb[w];
	/* finite inputs overflow to infinity only here: the sums stay finite */
	if (!isfinite(r->loss))
		sum_overflow();
	for (w = 0; w < a->n_weights; w++)
		if (!isfinite(sr[w]))
			sum_overflow();
	return r;
}

/* ---------- binary form ---------- */

/* an error: the bytes are not a valid bpnn_state, for the reason in detail */
static void
bad_state(int sqlstate, const char *detail)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid bpnn_state"),
			 errdetail_internal("%s", detail)));
}

/* the binary form (network byte order) of a state, compacted first */
static bytea *
state_to_bytes(BpnnState *s)
{
	StringInfoData buf;
	const double *sums;
	int32		w;

	s = gradient_state_compact(s);
	sums = gradient_state_sums(s);
	pq_begintypsend(&buf);
	pq_sendbytes(&buf, STATE_MAGIC, 4);
	pq_sendint16(&buf, BPNN_STATE_WIRE_VERSION);
	pq_sendint16(&buf, 0);
	pq_sendint64(&buf, s->model_checksum);
	pq_sendint64(&buf, s->rows);
	pq_sendint64(&buf, s->skipped);
	pq_sendint64(&buf, s->correct);
	pq_sendfloat8(&buf, s->loss);
	pq_sendint32(&buf, (uint32) s->n_weights);
	for (w = 0; w < s->n_weights; w++)
		pq_sendfloat8(&buf, sums[w]);
	return pq_endtypsend(&buf);
}

/* parse and check the binary form; errors carry sqlstate */
static BpnnState *
state_from_bytes(const char *data, int len, int sqlstate)
{
	StringInfoData buf;
	BpnnState  *s;
	uint64		checksum;
	int64		rows,
				skipped,
				correct;
	double		loss;
	uint32		n_weights;
	uint32		w;
	double	   *sums;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 52 || memcmp(data, STATE_MAGIC, 4) != 0)
		bad_state(sqlstate, "It does not start with a bpnn_state header.");
	buf.cursor = 4;
	if (pq_getmsgint(&buf, 2) != BPNN_STATE_WIRE_VERSION)
		bad_state(sqlstate, "Its format version is not one this bpnn reads.");
	/* reserved for a later format, as the model's: zero, else not this format */
	if (pq_getmsgint(&buf, 2) != 0)
		bad_state(sqlstate, "A reserved header field is not zero.");
	checksum = (uint64) pq_getmsgint64(&buf);
	rows = pq_getmsgint64(&buf);
	skipped = pq_getmsgint64(&buf);
	correct = pq_getmsgint64(&buf);
	loss = pq_getmsgfloat8(&buf);
	n_weights = (uint32) pq_getmsgint(&buf, 4);
	if (n_weights < 1 || n_weights > BPNN_MAX_WEIGHTS)
		bad_state(sqlstate, "Its weight count is out of range.");
	if ((Size) (len - buf.cursor) != sizeof(double) * n_weights)
		bad_state(sqlstate, "Its length does not match its weight count.");
	if (rows < 0 || skipped < 0 || correct < 0 || correct > rows)
		bad_state(sqlstate, "Its row counts are inconsistent.");
	if (!isfinite(loss) || loss < 0.0)
		bad_state(sqlstate, "Its loss is not a finite non-negative number.");

	s = state_alloc((int32) n_weights, 0, 0, 0, 0);
	s->model_checksum = checksum;
	s->rows = rows;
	s->skipped = skipped;
	s->correct = correct;
	s->loss = loss;
	sums = gradient_state_sums(s);
	for (w = 0; w < n_weights; w++)
	{
		sums[w] = pq_getmsgfloat8(&buf);
		if (!isfinite(sums[w]))
			bad_state(sqlstate, "Its sums are not all finite.");
	}
	return s;
}

/* bpnn_state's send function: the binary form */
Datum
bpnn_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(state_to_bytes(PG_GETARG_BPNN_STATE(0)));
}

/* bpnn_state's receive function: the binary form, every field checked */
Datum
bpnn_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	BpnnState  *s = state_from_bytes(buf->data + buf->cursor, buf->len - buf->cursor,
									 ERRCODE_INVALID_BINARY_REPRESENTATION);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(s);
}

/* ---------- text form: the binary form in hex ---------- */

/* bytes as hexadecimal text, for a state's text form */
char *
gradient_state_hex_out(bytea *bytes)
{
	Size		len = VARSIZE(bytes) - VARHDRSZ;
	char	   *text = palloc(len * 2 + 1);

	hex_encode(VARDATA(bytes), len, text);
	text[len * 2] = '\0';
	return text;
}

/*
 * the bytes of a hexadecimal text form (an error naming type_name if it is
 * not one)
 */
char *
gradient_state_hex_in(const char *text, const char *type_name, int *len)
{
	Size		n = strlen(text);
	char	   *bytes;

	if (n % 2 != 0 || n / 2 > (Size) MaxAllocSize - 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type_name),
				 errdetail("The text form is an even number of hexadecimal digits.")));
	bytes = palloc(n / 2 + 1);
	*len = (int) hex_decode(text, n, bytes);	/* errors on a non-hex digit */
	return bytes;
}

/* bpnn_state's output function: the binary form in hexadecimal */
Datum
bpnn_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(gradient_state_hex_out(state_to_bytes(PG_GETARG_BPNN_STATE(0))));
}

/* bpnn_state's input function: hexadecimal, read as the binary form */
Datum
bpnn_state_in(PG_FUNCTION_ARGS)
{
	int			len;
	char	   *bytes = gradient_state_hex_in(PG_GETARG_CSTRING(0), "bpnn_state", &len);

	PG_RETURN_POINTER(state_from_bytes(bytes, len, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

/* ---------- reading a state ---------- */

/*
 * what a state holds, as jsonb: rows, skipped, loss, accuracy and the
 * gradient's norm
 */
Datum
bpnn_state_info(PG_FUNCTION_ARGS)
{
	BpnnState  *s = gradient_state_compact(PG_GETARG_BPNN_STATE(0));
	const double *sums = gradient_state_sums(s);
	double		largest = 0.0,
				scaled = 0.0,
				norm;
	StringInfoData buf;
	int32		w;

	/* the norm scaled by the largest sum, so that squares cannot overflow */
	for (w = 0; w < s->n_weights; w++)
		largest = Max(largest, fabs(sums[w]));
	for (w = 0; largest > 0.0 && w < s->n_weights; w++)
		scaled += (sums[w] / largest) * (sums[w] / largest);
	norm = largest / (double) Max(s->rows, 1) * sqrt(scaled);
	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "{\"format_version\": %d, \"model_checksum\": \"%08x%08x\", "
					 "\"rows\": " INT64_FORMAT ", \"skipped\": " INT64_FORMAT ", "
					 "\"weights\": %d",
					 BPNN_STATE_WIRE_VERSION, (uint32) (s->model_checksum >> 32),
					 (uint32) s->model_checksum, s->rows, s->skipped,
					 s->n_weights);
	if (s->rows > 0)
	{
		appendStringInfo(&buf, ", \"loss\": %.17g, \"accuracy\": %.17g",
						 s->loss / (double) s->rows,
						 (double) s->correct / (double) s->rows);
		/* JSON has no infinity: a norm beyond double precision is null */
		if (isfinite(norm))
			appendStringInfo(&buf, ", \"gradient_norm\": %.17g", norm);
		else
			appendStringInfoString(&buf, ", \"gradient_norm\": null");
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* the mean loss gradient: minus the mean error-signal products */
Datum
bpnn_state_gradient(PG_FUNCTION_ARGS)
{
	BpnnState  *s = gradient_state_compact(PG_GETARG_BPNN_STATE(0));
	const double *sums = gradient_state_sums(s);
	Datum	   *values;
	int32		w;

	if (s->rows == 0)
		PG_RETURN_NULL();
	values = palloc(sizeof(Datum) * s->n_weights);
	for (w = 0; w < s->n_weights; w++)
		values[w] = Float8GetDatum(-sums[w] / (double) s->rows);
	PG_RETURN_ARRAYTYPE_P(construct_array(values, s->n_weights, FLOAT8OID, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
