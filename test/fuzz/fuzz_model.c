/*
 * fuzz_model.c — a libFuzzer harness for the stored (binary) form of
 * bpnn_model: model_decode() and model_validate() of src/model.c, the code
 * behind bpnn_model_recv (COPY BINARY, drivers) and every function that
 * reads a stored model.  Built outside the server with clang's
 * AddressSanitizer and UndefinedBehaviorSanitizer against the real
 * src/model.c, src/model_json.c and the kernel, with PostgreSQL's own
 * libpgcommon and libpgport and a few backend stand-ins (pg_shim.c).
 * `make fuzz FUZZ_SECONDS=60`; the seed corpus in test/fuzz/corpus-model holds
 * real models written by bpnn_model_send.
 *
 * Each input is decoded twice: as it is (the header and checksum checks),
 * and with the checksum of its body recomputed, so that mutations reach
 * the parser and the validator instead of stopping at the checksum.
 * Beyond "no crash, no sanitizer report", every outcome is checked:
 *   - a rejection is an ereport(ERROR) with the SQLSTATE the caller asked
 *     for (never an internal error, e.g. an oversized palloc);
 *   - an accepted model of the current format encodes back to exactly the
 *     input bytes; one of an earlier format (read by upgrade on read)
 *     encodes to the current format: the input's body with the fields that
 *     format added (version 2: workers, 0; version 4: the task,
 *     classification; version 5: no trainer state), which reads back and encodes to
 *     the same bytes again;
 *   - its text form (model_to_json) is valid UTF-8, and a forward pass over
 *     it (as bpnn_predict does) stays inside its buffers and picks a real
 *     class;
 *   - its ONNX file (onnx_encode, bpnn_onnx) is refused only with 0A000 (a
 *     text column) or 22003 (an imputed value beyond float4), else is
 *     well-formed protobuf to its last byte, and each
 *     float or double initializer's raw_data holds exactly the product of
 *     its dims numbers;
 *   - integrated gradients (attribution.c, bpnn_explain) from its imputed
 *     row to another stay inside their buffers and within the panels given.
 *
 * The text form's reader (model_from_json) has a harness of its own,
 * fuzz_json.c; the bpnn_state value's, fuzz_state.c.  FUZZ_VERBOSE=1
 * prints each input's outcome.
 */
#include "postgres.h"

#include <stdlib.h>

#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "port/pg_bswap.h"

#include "attribution.h"
#include "model.h"
#include "model_json.h"
#include "nn.h"
#include "onnx.h"
#include "pg_shim.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fail(what, buf, len) shim_fail("fuzz_model", what, len)

/* the decoded model, for shim_try */
typedef struct Decode
{
	const uint8_t *buf;
	size_t		len;
	int			sqlstate;
	BpnnModel  *model;
} Decode;

static void
decode(void *arg)
{
	Decode	   *d = arg;

	d->model = model_decode((const char *) d->buf, d->len, d->sqlstate);
}

/*
 * An accepted model of an earlier format version (buf) encoded as the
 * current one (again): the same name, reserved field and body, then what
 * later versions added, all zero: workers (int32, version 2), the count
 * of columns left out (uint32, version 3), the task (uint8, version 4:
 * classification, so no target scaling follows) and the flag of the
 * trainer's state (uint8, version 5: none); that encoding reads back and
 * encodes to itself.
 */
StaticAssertDecl(BPNN_FORMAT_VERSION == 5,
				 "check_upgraded knows what format versions 2 to 5 added");

static void
check_upgraded(const BpnnModel *m, const uint8_t *buf, size_t len,
			   const struct varlena *again, int old_version)
{
	const uint8_t *up = (const uint8_t *) VARDATA_ANY(again);
	size_t		up_len = VARSIZE_ANY_EXHDR(again);
	static const uint8_t zeros[10] = {0};
	size_t		added = (old_version < 2 ? 4 : 0) + (old_version < 3 ? 4 : 0) +
		(old_version < 4 ? 1 : 0) + (old_version < 5 ? 1 : 0);
	uint16		version;
	Decode		d;
	struct varlena *third;

	memcpy(&version, up + 4, sizeof(version));
	if ((old_version < 2 && m->training.workers != 0) || (old_version < 3 && m->n_skipped != 0) ||
		(old_version < 4 && m->task != BPNN_TASK_CLASSIFICATION) || m->state.present ||
		up_len != len + added ||
		pg_ntoh16(version) != BPNN_FORMAT_VERSION ||
		memcmp(up, buf, 4) != 0 || memcmp(up + 6, buf + 6, 2) != 0 ||
		memcmp(up + BPNN_HEADER_SIZE, buf + BPNN_HEADER_SIZE, len - BPNN_HEADER_SIZE) != 0 ||
		memcmp(up + len, zeros, added) != 0)
		fail("an accepted earlier-version model does not encode as its body and zeros for what later versions added",
			 buf, len);
	d.buf = up;
	d.len = up_len;
	d.sqlstate = ERRCODE_INVALID_BINARY_REPRESENTATION;
	d.model = NULL;
	if (!shim_try(decode, &d, NULL, 0, "fuzz_model (reading an upgraded model again)"))
		return;
	third = model_encode(d.model);
	if (VARSIZE_ANY_EXHDR(third) != up_len || memcmp(VARDATA_ANY(third), up, up_len) != 0)
		fail("an upgraded model does not encode back to the same bytes", buf, len);
}

/* a protobuf varint at *p (before end), or false */
static bool
pb_varint(const uint8_t **p, const uint8_t *end, uint64 *v)
{
	int			shift;

	*v = 0;
	for (shift = 0; shift < 70 && *p < end; shift += 7)
	{
		uint8_t		b = *(*p)++;

		*v |= (uint64) (b & 0x7F) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/*
 * Walk one protobuf message [p, end): every field's tag and length fit.
 * depth 0 is the ModelProto (field 7 the graph), depth 1 the GraphProto
 * (field 5 an initializer TensorProto, checked by size: dims 1, data_type
 * 2, raw_data 9).  Returns false on any malformation.
 */
static bool
pb_walk(const uint8_t *p, const uint8_t *end, int depth)
{
	uint64		dims_product = 1;
	int64		data_type = -1;
	int64		raw_len = -1;

	while (p < end)
	{
		uint64		tag,
					v;
		int			field,
					wire;

		if (!pb_varint(&p, end, &tag))
			return false;
		field = (int) (tag >> 3);
		wire = (int) (tag & 7);
		if (field == 0)
			return false;
		if (wire == 0)
		{
			if (!pb_varint(&p, end, &v))
				return false;
			if (depth == 2 && field == 1)
				dims_product *= v;
			if (depth == 2 && field == 2)
				data_type = (int64) v;
		}
		else if (wire == 2)
		{
			if (!pb_varint(&p, end, &v) || v > (uint64) (end - p))
				return false;
			if ((depth == 0 && field == 7) || (depth == 1 && field == 5))
			{
				if (!pb_walk(p, p + v, depth + 1))
					return false;
			}
			if (depth == 2 && field == 9)
				raw_len = (int64) v;
			p += v;
		}
		else
			return false;		/* bpnn_onnx writes no other wire type */
	}
	if (depth == 2 && raw_len >= 0 &&
		(uint64) raw_len != dims_product * (data_type == 11 ? 8 : data_type == 1 ? 4 : 0))
		return false;
	return true;
}

typedef struct Onnx
{
	const BpnnModel *m;
	bytea	   *file;
} Onnx;

static void
write_onnx(void *arg)
{
	Onnx	   *o = arg;

	o->file = onnx_encode(o->m);
}

/* what an accepted model promises */
static void
check_accepted(const BpnnModel *m, const uint8_t *buf, size_t len)
{
	struct varlena *again = model_encode(m);
	uint16		version;
	char	   *text;
	NnWorkspace ws;
	float	   *outputs;
	double	   *proba;
	int			n_in = model_n_features(m),
				n_out = model_n_classes(m),
				i,
				best;

	/* accepted: at least a header, and a version from 1 to the current one */
	memcpy(&version, buf + 4, sizeof(version));
	if (pg_ntoh16(version) < BPNN_FORMAT_VERSION)
		check_upgraded(m, buf, len, again, pg_ntoh16(version));
	else if (VARSIZE(again) - VARHDRSZ != len || memcmp(VARDATA(again), buf, len) != 0)
		fail("an accepted model does not encode back to the same bytes", buf, len);

	text = model_to_json(m, true);
	if (pg_encoding_verifymbstr(PG_UTF8, text, strlen(text)) != (int) strlen(text))
		fail("the text form of an accepted model is not valid UTF-8", buf, len);
	(void) model_to_json(m, false);

	/* one row, normalized as predict.c does, through the network */
	nn_forward_workspace_bind(&ws, &m->layout, 1,
							  palloc(sizeof(float) * nn_forward_workspace_floats(&m->layout, 1)));
	for (i = 0; i < n_in; i++)
		ws.act[0][i] = (float) ((m->impute[i] - m->shift[i]) * m->scale[i]);
	nn_forward(&m->layout, m->weights, &ws, 1);
	outputs = ws.act[m->layout.n_layers];
	best = nn_argmax(outputs, n_out);
	if (best < 0 || best >= n_out)
		fail("the forward pass picked no class", buf, len);
	proba = palloc(sizeof(double) * n_out);
	nn_outputs_to_proba(m->layout.output_act, outputs, n_out, proba);

	/* the ONNX file: refused for a text column only, else well-formed */
	{
		Onnx		o = {m, NULL};
		int			refusals[2] = {ERRCODE_FEATURE_NOT_SUPPORTED, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE};

		if (shim_try(write_onnx, &o, refusals, 2, "fuzz_model (bpnn_onnx)") &&
			!pb_walk((const uint8_t *) VARDATA(o.file),
					 (const uint8_t *) VARDATA(o.file) + VARSIZE(o.file) - VARHDRSZ, 0))
			fail("the ONNX file of an accepted model is not well-formed", buf, len);
	}

	/* integrated gradients from the imputed row to one a unit away, in few panels */
	{
		AttrTarget	target = {0};
		double	   *z0 = palloc(sizeof(double) * n_in),
				   *z = palloc(sizeof(double) * n_in);
		int			steps;

		for (i = 0; i < n_in; i++)
		{
			z0[i] = ws.act[0][i];
			z[i] = z0[i] + 1.0;
		}
		if (m->task == BPNN_TASK_REGRESSION)
		{
			target.kind = ATTR_VALUE;
			target.scale = m->target_scale[0];
			target.shift = m->target_shift[0];
		}
		else
		{
			target.kind = ATTR_PROBABILITY;
			target.unit = best;
		}
		steps = attr_integrated_gradients(&m->layout, m->weights, &target, z, z0, 0.0,
										  palloc(sizeof(AttrPanel) * 32), 32,
										  palloc(sizeof(double) * n_in), palloc(sizeof(double) * n_in),
										  palloc(sizeof(double) * n_in),
										  palloc(sizeof(double) * attr_work_doubles(&m->layout)),
										  NULL, NULL);
		if (steps < 32 || steps > 64)
			fail("integrated gradients took a number of panels outside 16 to 32", buf, len);
	}
}

/* decode one buffer; an ERROR must carry the SQLSTATE asked for */
static void
try_decode(const uint8_t *buf, size_t len, int sqlstate)
{
	Decode		d = {buf, len, sqlstate, NULL};

	if (!shim_try(decode, &d, &sqlstate, 1, "fuzz_model"))
		return;
	if (shim_verbose())
		fprintf(stderr, "accepted: %d features, %d classes, %d weight layers\n",
				model_n_features(d.model), model_n_classes(d.model), d.model->layout.n_layers);
	check_accepted(d.model, buf, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly the input's size: the sanitizer sees any overread */
	uint8_t    *buf = malloc(size > 0 ? size : 1);

	memcpy(buf, data, size);
	try_decode(buf, size, ERRCODE_INVALID_BINARY_REPRESENTATION);
	if (size >= BPNN_HEADER_SIZE)
	{
		uint64		checksum = pg_hton64(hash_bytes_extended(buf + BPNN_HEADER_SIZE,
															 size - BPNN_HEADER_SIZE, 0));

		memcpy(buf + 8, &checksum, sizeof(checksum));
		try_decode(buf, size, ERRCODE_DATA_CORRUPTED);
	}
	free(buf);
	shim_free_all();
	return 0;
}
