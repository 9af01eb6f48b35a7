/*
 * sgd_state.c — the bpnn_train_state type (see sgd_state.h): creating a
 * state, training on its buffered rows with the kernel's mini-batch step
 * (fit_step), averaging two states, the model a state ends with, the
 * checks every support function runs on the state it is handed, and the
 * text and binary forms.
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "gradient_state.h"
#include "nn.h"
#include "sgd_state.h"

PG_FUNCTION_INFO_V1(bpnn_train_state_in);
PG_FUNCTION_INFO_V1(bpnn_train_state_out);
PG_FUNCTION_INFO_V1(bpnn_train_state_recv);
PG_FUNCTION_INFO_V1(bpnn_train_state_send);

#define SGD_MAGIC "BPSG"

/*
 * the bytes of a state of these sizes (weights and moments, model copy, row
 * buffer)
 */
static Size
sgd_state_size(int32 n_weights, int moment_arrays, int32 model_len, int32 capacity,
			   int32 n_features, int32 targets)
{
	return MAXALIGN(sizeof(SgdState)) +
		MAXALIGN(sizeof(float) * (Size) n_weights * (1 + moment_arrays)) +
		MAXALIGN(model_len) + SGD_ROW_BYTES(n_features, targets) * (Size) capacity;
}

/* a zeroed state with header's fields and room for capacity buffered rows */
static SgdState *
sgd_state_alloc(const SgdState *header, int32 capacity)
{
	Size		size = sgd_state_size(header->n_weights, header->optimizer == FIT_ADAM ? 2 : 1,
									  header->model_len, capacity, header->n_features,
									  header->targets);
	SgdState   *s;

	/* a varlena's length field holds less than 1 GB: a larger one would wrap */
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a training buffer of %d rows makes a bpnn_train_state larger than 1 GB", capacity),
				 errdetail("The state would take %zu MB; a value holds at most %zu MB.",
						   size / (1024 * 1024), (Size) MaxAllocSize / (1024 * 1024)),
				 errhint("Lower buffer_rows.")));
	s = MemoryContextAllocExtended(CurrentMemoryContext, size,
								   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	memcpy(s, header, sizeof(SgdState));
	SET_VARSIZE(s, size);
	s->version = SGD_STATE_VERSION;
	s->reserved = 0;
	s->capacity = capacity;
	s->buffered = 0;
	return s;
}

static void bad_state(int sqlstate, const char *detail) pg_attribute_noreturn();

/*
 * an error: the bytes are not a valid bpnn_train_state, for the reason in
 * detail
 */
static void
bad_state(int sqlstate, const char *detail)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid bpnn_train_state"),
			 errdetail_internal("%s", detail)));
}

/* the options' ranges, as bpnn_train checks them: a detail, or NULL */
static const char *
options_problem(double learning_rate, double momentum, double weight_decay,
				int64 batch_size, int optimizer)
{
	if (!(learning_rate > 0.0 && learning_rate <= 1000.0))
		return "Its learning_rate is out of range.";
	if (!(momentum >= 0.0 && momentum < 1.0))
		return "Its momentum is out of range.";
	if (!(weight_decay >= 0.0 && weight_decay <= 1000.0))
		return "Its weight_decay is out of range.";
	if (batch_size < 1 || batch_size > BPNN_MAX_UNITS)
		return "Its batch_size is out of range.";
	if (optimizer < 0 || optimizer >= FIT_OPTIMIZER_COUNT)
		return "Its optimizer is unknown.";
	return NULL;
}

/* the in-memory format 1 (0.3.0): format 2 without targets */
typedef struct SgdStateV1
{
	int32		vl_len_;
	uint16		version;
	uint8		optimizer;
	uint8		reserved;
	int32		n_weights;
	int32		n_features;
	int32		batch_size;
	int32		capacity;
	int32		buffered;
	int32		model_len;
	uint64		model_checksum;
	uint64		seed;
	uint64		rng;
	int64		rows;
	int64		skipped;
	int64		correct;
	int64		steps;
	double		loss;
	double		learning_rate;
	double		momentum;
	double		weight_decay;
	/* then what follows SgdState's header, laid out alike */
} SgdStateV1;

/*
 * A table's bpnn_train_state column holds the in-memory form, so a value
 * stored by 0.3.0 has format 1, whose header lacks targets and is 8 bytes
 * shorter: read into format 2 (its labels were class ids), as hstore
 * upgrades its old format on read
 */
SgdState *
sgd_state_upgrade(SgdState *s)
{
	const SgdStateV1 *old = (const SgdStateV1 *) s;
	SgdState   *new;
	Size		body;

	if (VARSIZE(s) < MAXALIGN(sizeof(SgdStateV1)) || old->version != 1)
		return s;
	body = VARSIZE(s) - MAXALIGN(sizeof(SgdStateV1));
	if (body > MaxAllocSize - MAXALIGN(sizeof(SgdState)))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its length is out of range.");
	new = MemoryContextAllocExtended(CurrentMemoryContext, MAXALIGN(sizeof(SgdState)) + body,
									 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	SET_VARSIZE(new, MAXALIGN(sizeof(SgdState)) + body);
	new->version = SGD_STATE_VERSION;
	new->optimizer = old->optimizer;
	new->reserved = old->reserved;
	new->n_weights = old->n_weights;
	new->n_features = old->n_features;
	new->batch_size = old->batch_size;
	new->capacity = old->capacity;
	new->buffered = old->buffered;
	new->model_len = old->model_len;
	new->targets = 0;
	new->model_checksum = old->model_checksum;
	new->seed = old->seed;
	new->rng = old->rng;
	new->rows = old->rows;
	new->skipped = old->skipped;
	new->correct = old->correct;
	new->steps = old->steps;
	new->loss = old->loss;
	new->learning_rate = old->learning_rate;
	new->momentum = old->momentum;
	new->weight_decay = old->weight_decay;
	memcpy((char *) new + MAXALIGN(sizeof(SgdState)),
		   (const char *) s + MAXALIGN(sizeof(SgdStateV1)), body);
	return new;
}

/* an error unless the state's header, options and counts are valid */
void
sgd_state_check(const SgdState *s)
{
	const char *problem;

	if (VARSIZE(s) < MAXALIGN(sizeof(SgdState)) || s->version != SGD_STATE_VERSION)
		bad_state(ERRCODE_DATA_CORRUPTED, "Its header or format version is not one this bpnn writes.");
	problem = options_problem(s->learning_rate, s->momentum, s->weight_decay,
							  s->batch_size, s->optimizer);
	if (problem)
		bad_state(ERRCODE_DATA_CORRUPTED, problem);
	if (s->n_weights < 1 || s->n_weights > BPNN_MAX_WEIGHTS ||
		s->n_features < 1 || s->n_features > BPNN_MAX_UNITS ||
		s->model_len < BPNN_HEADER_SIZE || s->capacity < 0 ||
		s->targets < 0 || s->targets > BPNN_MAX_UNITS ||
		s->buffered < 0 || s->buffered > s->capacity)
		bad_state(ERRCODE_DATA_CORRUPTED, "Its sizes are out of range.");
	if (s->rows < 0 || s->skipped < 0 || s->correct < 0 || s->correct > s->rows ||
		s->steps < 0 || !(s->loss >= 0.0 && isfinite(s->loss)))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its counts are inconsistent.");
	if (VARSIZE(s) != sgd_state_size(s->n_weights, sgd_moment_arrays(s), s->model_len,
									 s->capacity, s->n_features, s->targets))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its length does not match its sizes.");
}

/* does the state train with exactly these options? */
bool
sgd_state_options_match(const SgdState *s, const SgdOptions *o)
{
	return s->learning_rate == o->learning_rate && s->momentum == o->momentum &&
		s->weight_decay == o->weight_decay && s->batch_size == o->batch_size &&
		s->optimizer == (uint8) o->optimizer;
}

/*
 * a state that starts from a model's weights, with these options and a row
 * buffer
 */
SgdState *
sgd_state_create(const CachedModel *cm, const SgdOptions *o, int32 capacity)
{
	const BpnnModel *m = cm->model;
	SgdState	header = {0};
	SgdState   *s;
	NnRng		rng;

	header.optimizer = (uint8) o->optimizer;
	header.n_weights = (int32) nn_weight_count(&m->layout);
	header.n_features = model_n_features(m);
	header.batch_size = o->batch_size;
	header.model_len = (int32) cm->len;
	header.model_checksum = cm->checksum;
	header.targets = state_targets_of(m);
	header.seed = o->seed;
	/*
	 * At the seed's hash: seeded directly, the epoch seeds of streaming
	 * bpnn_train (seed + epoch x the generator's step) would give each
	 * epoch the previous one's random numbers shifted by one, so nearly
	 * the same shuffle and batches that repeat from epoch to epoch
	 * (test/unit/test_nn.c counts them)
	 */
	nn_rng_seed_hashed(&rng, o->seed);
	header.rng = rng.state;
	header.learning_rate = o->learning_rate;
	header.momentum = o->momentum;
	header.weight_decay = o->weight_decay;
	s = sgd_state_alloc(&header, capacity);
	memcpy(sgd_weights(s), m->weights, sizeof(float) * (Size) s->n_weights);
	memcpy(sgd_model_bytes(s), cm->bytes, cm->len);
	return s;
}

/* ---------- training on the buffer ---------- */

/* the training loop's allocator: zeroed memory in the given context */
static void *
scratch_alloc(void *arg, size_t bytes)
{
	return MemoryContextAllocExtended((MemoryContext) arg, bytes,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* the training loop's hook between chunks: CHECK_FOR_INTERRUPTS */
static void
scratch_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/* the workspace for training a state's buffered rows with its model */
void
sgd_scratch_init(SgdScratch *sc, const BpnnModel *m)
{
	int			c;

	sc->model = m;
	memset(&sc->hooks, 0, sizeof(sc->hooks));
	sc->hooks.alloc = scratch_alloc;
	sc->hooks.between_chunks = scratch_interrupts;
	sc->hooks.arg = CurrentMemoryContext;
	fit_stepper_init(&sc->stepper, &m->layout, &sc->hooks);
	sc->class_weight = NULL;
	if (m->training.class_weights)
	{
		sc->class_weight = palloc(sizeof(float) * model_n_classes(m));
		for (c = 0; c < model_n_classes(m); c++)
			sc->class_weight[c] = (float) m->training.class_weights[c];
	}
}

/* qsort order of uint32 row positions */
static int
order_cmp(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a,
				y = *(const uint32 *) b;

	return x < y ? -1 : x > y;
}

/* shuffle the buffered rows and train on all of them, or on a random half */
void
sgd_state_train_buffer(SgdState *s, SgdScratch *sc, bool all)
{
	uint32	   *order = sgd_order(s);
	float	   *w = sgd_weights(s);
	FitOptions	o = {0};
	FitData		data = {0};
	NnRng		rng;
	int32		n = s->buffered,
				n_train,
				i;
	int64		first;

	if (n == 0)
		return;
	/*
	 * The rows may have been read with another model of one checksum (it
	 * proves nothing): they must fit this network, each label one of its
	 * outputs
	 */
	if ((Size) s->n_weights != nn_weight_count(&sc->model->layout) ||
		s->n_features != model_n_features(sc->model))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its sizes are not its model's.");
	if (s->targets != state_targets_of(sc->model))
		bad_state(ERRCODE_DATA_CORRUPTED, "Its buffered labels are not of its model's task.");
	if (s->targets > 0)
	{
		for (i = 0; i < n * s->targets; i++)
			if (!isfinite(sgd_targets(s)[i]))
				bad_state(ERRCODE_DATA_CORRUPTED, "A buffered row's target is not finite.");
	}
	else
		for (i = 0; i < n; i++)
			if (sgd_labels(s)[i] < 0 || sgd_labels(s)[i] >= model_n_classes(sc->model))
				bad_state(ERRCODE_DATA_CORRUPTED, "A buffered row has no class of its model.");
	for (i = 0; i < n; i++)
		order[i] = (uint32) i;
	rng.state = s->rng;
	fit_shuffle(order, n, &rng);
	s->rng = rng.state;

	data.x = sgd_buffer(s);
	data.y = sgd_labels(s);
	data.t = s->targets > 0 ? sgd_targets(s) : NULL;
	data.n_rows = n;
	o.learning_rate = s->learning_rate;
	o.momentum = s->momentum;
	o.weight_decay = s->weight_decay;
	o.batch_size = s->batch_size;
	o.optimizer = (FitOptimizer) s->optimizer;
	o.class_weight = sc->class_weight;
	sc->stepper.state1 = sgd_moment(s, 0);
	sc->stepper.state2 = s->optimizer == FIT_ADAM ? sgd_moment(s, 1) : NULL;
	/*
	 * A full buffer trains on a random half and keeps the other half for
	 * later (as tf.data's shuffle buffer does): a row waits a random number
	 * of rounds, so batches mix rows from further back in the scan than one
	 * buffer, which matters for a table stored sorted (by label, by time).
	 * The last call of a partial (all) trains on every row left.
	 */
	n_train = all ? n : Max(n / 2 - (n / 2) % s->batch_size, Min(n, s->batch_size));
	for (first = 0; first < n_train; first += s->batch_size)
	{
		sc->stepper.step = (long) s->steps;
		s->loss += fit_step(&sc->stepper, w, &o, &data, order, first,
							Min(s->batch_size, n_train - first), &sc->hooks, &s->correct);
		s->steps++;
	}
	s->rows += n_train;
	/* the rows kept move to the front of the buffer, in their order there */
	qsort(order + n_train, n - n_train, sizeof(uint32), order_cmp);
	for (i = n_train; i < n; i++)
	{
		int32		to = i - n_train;
		uint32		from = order[i];

		if ((uint32) to != from)
		{
			memcpy(sgd_buffer(s) + (Size) to * s->n_features,
				   sgd_buffer(s) + (Size) from * s->n_features, sizeof(float) * s->n_features);
			if (s->targets > 0)
				memmove(sgd_targets(s) + (Size) to * s->targets,
						sgd_targets(s) + (Size) from * s->targets, sizeof(float) * s->targets);
			else
				sgd_labels(s)[to] = sgd_labels(s)[from];
		}
	}
	s->buffered = n - n_train;
	for (i = 0; i < s->n_weights; i++)
		if (!isfinite(w[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("training diverged: the weights are no longer finite"),
					 errhint("Lower learning_rate, or normalize the inputs.")));
	if (!isfinite(s->loss))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("training diverged: the loss is no longer finite"),
				 errhint("Lower learning_rate, or normalize the inputs.")));
}

/* train on the buffered rows with the model the state carries */
static void
sgd_state_flush(SgdState *s)
{
	SgdScratch	sc;
	MemoryContext cxt,
				old;

	if (s->buffered == 0)
		return;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn train state flush",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	sgd_scratch_init(&sc, model_decode(sgd_model_bytes(s), s->model_len,
									   ERRCODE_DATA_CORRUPTED));
	sgd_state_train_buffer(s, &sc, true);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* the state without buffer (trained on first; the input unchanged) */
SgdState *
sgd_state_compact(SgdState *s)
{
	SgdState   *c;

	sgd_state_check(s);
	if (s->buffered > 0)
	{
		/* the input stays as it is: train a copy */
		SgdState   *copy = MemoryContextAllocHuge(CurrentMemoryContext, VARSIZE(s));

		memcpy(copy, s, VARSIZE(s));
		sgd_state_flush(copy);
		s = copy;
	}
	c = sgd_state_alloc(s, 0);
	memcpy(sgd_weights(c), sgd_weights(s),
		   sizeof(float) * (Size) s->n_weights * (1 + sgd_moment_arrays(s)));
	memcpy(sgd_model_bytes(c), sgd_model_bytes(s), s->model_len);
	return c;
}

/* the row-weighted average of two compact states of one model and options */
SgdState *
sgd_state_average(SgdState *a, SgdState *b)
{
	SgdState   *r;
	float	   *ra,
			   *rb,
			   *rr;
	double		wa;
	Size		i,
				n;

	if (a->model_checksum != b->model_checksum || a->n_weights != b->n_weights ||
		a->model_len != b->model_len ||
		memcmp(sgd_model_bytes(a), sgd_model_bytes(b), a->model_len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine the training states of two different models")));
	if (a->learning_rate != b->learning_rate || a->momentum != b->momentum ||
		a->weight_decay != b->weight_decay || a->batch_size != b->batch_size ||
		a->optimizer != b->optimizer)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine training states with different options")));
	r = sgd_state_alloc(a, 0);
	memcpy(sgd_model_bytes(r), sgd_model_bytes(a), a->model_len);
	if (pg_add_s64_overflow(a->rows, b->rows, &r->rows) ||
		pg_add_s64_overflow(a->skipped, b->skipped, &r->skipped) ||
		pg_add_s64_overflow(a->correct, b->correct, &r->correct))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the combined training state counts more rows than bigint holds")));
	r->loss = a->loss + b->loss;
	if (!isfinite(r->loss))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the combined training state's loss is out of range for double precision")));
	r->steps = Max(a->steps, b->steps);
	/* no rows, no weight: a partial that saw none keeps the starting weights */
	wa = r->rows > 0 ? (double) a->rows / (double) r->rows : 0.5;
	n = (Size) a->n_weights * (1 + sgd_moment_arrays(a));
	ra = sgd_weights(a);
	rb = sgd_weights(b);
	rr = sgd_weights(r);
	for (i = 0; i < n; i++)
		rr[i] = (float) (wa * ra[i] + (1.0 - wa) * rb[i]);
	return r;
}

/* the model with the state's weights and counts in its training record */
BpnnModel *
sgd_state_model(SgdState *s)
{
	BpnnModel  *m = model_decode(sgd_model_bytes(s), s->model_len, ERRCODE_DATA_CORRUPTED);

	memcpy(m->weights, sgd_weights(s), sizeof(float) * (Size) s->n_weights);
	m->training.rows_used = s->rows;
	m->training.rows_skipped = s->skipped;
	if (s->rows > 0)
	{
		m->training.final_loss = s->loss / (double) s->rows;
		m->training.train_accuracy = (double) s->correct / (double) s->rows;
	}
	return m;
}

/* ---------- binary and text forms ---------- */

/* the binary form (network byte order) of a state, compacted first */
static bytea *
sgd_state_to_bytes(SgdState *s)
{
	StringInfoData buf;
	const float *w;
	Size		i,
				n;

	s = sgd_state_compact(s);
	pq_begintypsend(&buf);
	pq_sendbytes(&buf, SGD_MAGIC, 4);
	pq_sendint16(&buf, SGD_STATE_WIRE_VERSION);
	pq_sendint16(&buf, 0);
	pq_sendint8(&buf, s->optimizer);
	pq_sendint8(&buf, 0);
	pq_sendint16(&buf, 0);
	pq_sendint64(&buf, s->model_checksum);
	pq_sendint64(&buf, s->seed);
	pq_sendint64(&buf, s->rows);
	pq_sendint64(&buf, s->skipped);
	pq_sendint64(&buf, s->correct);
	pq_sendint64(&buf, s->steps);
	pq_sendfloat8(&buf, s->loss);
	pq_sendfloat8(&buf, s->learning_rate);
	pq_sendfloat8(&buf, s->momentum);
	pq_sendfloat8(&buf, s->weight_decay);
	pq_sendint32(&buf, s->batch_size);
	pq_sendint32(&buf, s->n_features);
	pq_sendint32(&buf, (uint32) s->n_weights);
	w = sgd_weights(s);
	n = (Size) s->n_weights * (1 + sgd_moment_arrays(s));
	for (i = 0; i < n; i++)
		pq_sendfloat4(&buf, w[i]);
	pq_sendint32(&buf, (uint32) s->model_len);
	pq_sendbytes(&buf, sgd_model_bytes(s), s->model_len);
	return pq_endtypsend(&buf);
}

/* parse and check the binary form, its model included; errors carry sqlstate */
static SgdState *
sgd_state_from_bytes(const char *data, int len, int sqlstate)
{
	StringInfoData buf;
	SgdState	h = {0};
	SgdState   *s;
	BpnnModel  *m;
	const char *problem;
	uint64		model_checksum;
	uint32		n_weights,
				model_len;
	float	   *w;
	Size		i,
				n;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 104 || memcmp(data, SGD_MAGIC, 4) != 0)
		bad_state(sqlstate, "It does not start with a bpnn_train_state header.");
	buf.cursor = 4;
	if (pq_getmsgint(&buf, 2) != SGD_STATE_WIRE_VERSION)
		bad_state(sqlstate, "Its format version is not one this bpnn reads.");
	(void) pq_getmsgint(&buf, 2);
	h.optimizer = (uint8) pq_getmsgbyte(&buf);
	(void) pq_getmsgbyte(&buf);
	(void) pq_getmsgint(&buf, 2);
	h.model_checksum = (uint64) pq_getmsgint64(&buf);
	h.seed = (uint64) pq_getmsgint64(&buf);
	h.rows = pq_getmsgint64(&buf);
	h.skipped = pq_getmsgint64(&buf);
	h.correct = pq_getmsgint64(&buf);
	h.steps = pq_getmsgint64(&buf);
	h.loss = pq_getmsgfloat8(&buf);
	h.learning_rate = pq_getmsgfloat8(&buf);
	h.momentum = pq_getmsgfloat8(&buf);
	h.weight_decay = pq_getmsgfloat8(&buf);
	h.batch_size = (int32) pq_getmsgint(&buf, 4);
	h.n_features = (int32) pq_getmsgint(&buf, 4);
	n_weights = (uint32) pq_getmsgint(&buf, 4);
	problem = options_problem(h.learning_rate, h.momentum, h.weight_decay, h.batch_size,
							  h.optimizer);
	if (problem)
		bad_state(sqlstate, problem);
	if (n_weights < 1 || n_weights > BPNN_MAX_WEIGHTS)
		bad_state(sqlstate, "Its weight count is out of range.");
	if (h.n_features < 1 || h.n_features > BPNN_MAX_UNITS)
		bad_state(sqlstate, "Its feature count is out of range.");
	if (h.rows < 0 || h.skipped < 0 || h.correct < 0 || h.correct > h.rows || h.steps < 0 ||
		!(h.loss >= 0.0 && isfinite(h.loss)))
		bad_state(sqlstate, "Its counts are inconsistent.");
	h.n_weights = (int32) n_weights;
	n = (Size) n_weights * (1 + sgd_moment_arrays(&h));
	if ((Size) (len - buf.cursor) < sizeof(float) * n + 4)
		bad_state(sqlstate, "Its length does not match its weight count.");
	buf.cursor += sizeof(float) * n;
	model_len = (uint32) pq_getmsgint(&buf, 4);
	if ((Size) (len - buf.cursor) != model_len || model_len < BPNN_HEADER_SIZE)
		bad_state(sqlstate, "Its length does not match its model's.");
	h.model_len = (int32) model_len;

	/* the model it started from: whole, the one it names, of its shape */
	m = model_decode(data + buf.cursor, model_len, sqlstate);
	memcpy(&model_checksum, data + buf.cursor + 8, sizeof(uint64));
	if (pg_ntoh64(model_checksum) != h.model_checksum ||
		nn_weight_count(&m->layout) != n_weights || model_n_features(m) != h.n_features)
		bad_state(sqlstate, "Its model is not the one it names.");
	h.targets = state_targets_of(m);

	s = sgd_state_alloc(&h, 0);
	buf.cursor -= sizeof(float) * n + 4;
	w = sgd_weights(s);
	for (i = 0; i < n; i++)
	{
		w[i] = pq_getmsgfloat4(&buf);
		if (!isfinite(w[i]))
			bad_state(sqlstate, "Its weights are not all finite.");
	}
	(void) pq_getmsgint(&buf, 4);
	memcpy(sgd_model_bytes(s), data + buf.cursor, model_len);
	return s;
}

/* bpnn_train_state's send function: the binary form */
Datum
bpnn_train_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(sgd_state_to_bytes(PG_GETARG_SGD_STATE(0)));
}

/* bpnn_train_state's receive function: the binary form, every field checked */
Datum
bpnn_train_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	SgdState   *s = sgd_state_from_bytes(buf->data + buf->cursor, buf->len - buf->cursor,
										 ERRCODE_INVALID_BINARY_REPRESENTATION);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(s);
}

/* bpnn_train_state's output function: the binary form in hexadecimal */
Datum
bpnn_train_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(gradient_state_hex_out(sgd_state_to_bytes(PG_GETARG_SGD_STATE(0))));
}

/* bpnn_train_state's input function: hexadecimal, read as the binary form */
Datum
bpnn_train_state_in(PG_FUNCTION_ARGS)
{
	int			len;
	char	   *bytes = gradient_state_hex_in(PG_GETARG_CSTRING(0), "bpnn_train_state", &len);

	PG_RETURN_POINTER(sgd_state_from_bytes(bytes, len, ERRCODE_INVALID_TEXT_REPRESENTATION));
}
