/*
 * fuzz_state.c — a libFuzzer harness for the bpnn_state value (the
 * bpnn_gradient aggregate's running sums): its binary input function
 * bpnn_state_recv and its text input function bpnn_state_in (the binary
 * form in hexadecimal) in src/gradient_state.c, with their output functions.  Built
 * like fuzz_model.c; the seed corpus in test/fuzz/corpus-state holds states
 * written by bpnn_state_send.
 *
 * Each input is read twice: as the bytes a client sends for COPY BINARY
 * (recv), and as the text a client sends (in; up to its first zero byte).
 * Beyond "no crash, no sanitizer report", every outcome is checked:
 *   - a rejection carries the input function's SQLSTATE: 22P03 for the
 *     binary form; 22P02, or hex_decode's 22023, for the text form;
 *   - an accepted state writes back (send) to exactly the bytes it was read
 *     from, and its text form (out) reads back (in) to the same state.
 */
#include "postgres.h"

#include <stdlib.h>

#include "fmgr.h"
#include "lib/stringinfo.h"

#include "pg_shim.h"
#include "gradient_state.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern Datum bpnn_state_in(PG_FUNCTION_ARGS);
extern Datum bpnn_state_out(PG_FUNCTION_ARGS);
extern Datum bpnn_state_recv(PG_FUNCTION_ARGS);
extern Datum bpnn_state_send(PG_FUNCTION_ARGS);

static const int binary_errors[] = {ERRCODE_INVALID_BINARY_REPRESENTATION};
static const int text_errors[] = {ERRCODE_INVALID_TEXT_REPRESENTATION,
ERRCODE_INVALID_PARAMETER_VALUE};

typedef struct Call
{
	PGFunction	fn;
	Datum		arg;
	Datum		result;
} Call;

static void
call(void *arg)
{
	Call	   *c = arg;

	c->result = DirectFunctionCall1(c->fn, c->arg);
}

/* what an accepted state promises; bytes: its binary form, if it was read from one */
static void
check_accepted(Datum state, const char *bytes, size_t len, size_t input_len)
{
	bytea	   *sent = (bytea *) DatumGetPointer(DirectFunctionCall1(bpnn_state_send, state));
	char	   *text = DatumGetCString(DirectFunctionCall1(bpnn_state_out, state));
	Call		back = {bpnn_state_in, CStringGetDatum(text), 0};
	bytea	   *sent_again;

	if (shim_verbose())
		fprintf(stderr, "accepted: a state of %d weights from its %s form\n",
				((BpnnState *) DatumGetPointer(state))->n_weights, bytes ? "binary" : "text");
	if (bytes != NULL &&
		(VARSIZE(sent) - VARHDRSZ != len || memcmp(VARDATA(sent), bytes, len) != 0))
		shim_fail("fuzz_state", "an accepted state does not write back to the same bytes",
				  input_len);
	if (!shim_try(call, &back, NULL, 0, "fuzz_state (reading an accepted state's text again)"))
		shim_fail("fuzz_state", "an accepted state's text form is refused", input_len);
	sent_again = (bytea *) DatumGetPointer(DirectFunctionCall1(bpnn_state_send, back.result));
	if (VARSIZE(sent_again) != VARSIZE(sent) ||
		memcmp(VARDATA(sent_again), VARDATA(sent), VARSIZE(sent) - VARHDRSZ) != 0)
		shim_fail("fuzz_state", "an accepted state's text form reads back to another state",
				  input_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* copies of exactly the input's size: the sanitizer sees any overread */
	char	   *buf = malloc(size > 0 ? size : 1);
	size_t		text_len = strnlen((const char *) data, size);
	char	   *text = malloc(text_len + 1);
	StringInfoData msg;
	Call		c;

	memcpy(buf, data, size);
	msg.data = buf;
	msg.len = (int) size;
	msg.maxlen = (int) size;
	msg.cursor = 0;
	c.fn = bpnn_state_recv;
	c.arg = PointerGetDatum(&msg);
	if (shim_try(call, &c, binary_errors, lengthof(binary_errors), "fuzz_state (recv)"))
	{
		if (msg.cursor != msg.len)
			shim_fail("fuzz_state", "recv accepted a state without reading all of it", size);
		check_accepted(c.result, buf, size, size);
	}

	memcpy(text, data, text_len);
	text[text_len] = '\0';
	c.fn = bpnn_state_in;
	c.arg = CStringGetDatum(text);
	if (shim_try(call, &c, text_errors, lengthof(text_errors), "fuzz_state (in)"))
		check_accepted(c.result, NULL, 0, size);

	free(buf);
	free(text);
	shim_free_all();
	return 0;
}
