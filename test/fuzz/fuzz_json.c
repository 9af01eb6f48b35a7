/*
 * fuzz_json.c — a libFuzzer harness for the text form of bpnn_model:
 * model_from_json() of src/model_json.c (the type's input function,
 * `'...'::bpnn_model`) and the model_validate() it ends in.  Built like
 * fuzz_model.c; the server's jsonb and numeric are jsonb_shim.c, around
 * PostgreSQL's own JSON parser from libpgcommon.  The seed corpus in
 * test/fuzz/corpus-json holds the text of real models.
 *
 * The input is the text a client sends (the server has checked its
 * encoding and it ends at its first zero byte): input that is not UTF-8 is
 * skipped.  Beyond "no crash, no sanitizer report", every outcome is
 * checked:
 *   - a rejection carries a SQLSTATE bpnn_model_in may raise for user text:
 *     22P02 (bad syntax or model), 22P05 (\u0000), 22003 (a number out of
 *     range), 54001 (nesting too deep); never an internal error;
 *   - an accepted model encodes, decodes again (model_decode, as a stored
 *     value is read), and its text form reads back to the same bytes: the
 *     text form round-trips exactly, as the type promises.
 */
#include "postgres.h"

#include <stdlib.h>

#include "mb/pg_wchar.h"

#include "model.h"
#include "model_json.h"
#include "pg_shim.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int text_errors[] = {
	ERRCODE_INVALID_TEXT_REPRESENTATION,
	ERRCODE_UNTRANSLATABLE_CHARACTER,
	ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
	ERRCODE_STATEMENT_TOO_COMPLEX,
};

typedef struct FromJson
{
	const char *text;
	BpnnModel  *model;
} FromJson;

static void
from_json(void *arg)
{
	FromJson   *f = arg;

	f->model = model_from_json(f->text);
}

static void
check_accepted(const BpnnModel *m, size_t len)
{
	struct varlena *bytes = model_encode(m);
	struct varlena *again;
	BpnnModel  *decoded;
	FromJson	f;
	char	   *text;

	/* a stored value: no ERROR may happen from here on */
	decoded = model_decode(VARDATA(bytes), VARSIZE(bytes) - VARHDRSZ, ERRCODE_DATA_CORRUPTED);
	text = model_to_json(decoded, true);
	if (pg_encoding_verifymbstr(PG_UTF8, text, strlen(text)) != (int) strlen(text))
		shim_fail("fuzz_json", "the text form of an accepted model is not valid UTF-8", len);
	f.text = text;
	if (!shim_try(from_json, &f, NULL, 0, "fuzz_json (reading an accepted model's text again)"))
		shim_fail("fuzz_json", "an accepted model's text form is refused", len);
	again = model_encode(f.model);
	if (VARSIZE(again) != VARSIZE(bytes) ||
		memcmp(VARDATA(again), VARDATA(bytes), VARSIZE(bytes) - VARHDRSZ) != 0)
		shim_fail("fuzz_json", "an accepted model's text form reads back to another model", len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a cstring of exactly the input's bytes up to the first zero byte */
	size_t		len = strnlen((const char *) data, size);
	char	   *text = malloc(len + 1);
	FromJson	f;

	memcpy(text, data, len);
	text[len] = '\0';
	if (pg_encoding_verifymbstr(PG_UTF8, text, (int) len) == (int) len)
	{
		f.text = text;
		if (shim_try(from_json, &f, text_errors, lengthof(text_errors), "fuzz_json"))
		{
			if (shim_verbose())
				fprintf(stderr, "accepted: %d features, %d classes, %d weight layers\n",
						model_n_features(f.model), model_n_classes(f.model),
						f.model->layout.n_layers);
			check_accepted(f.model, len);
		}
	}
	free(text);
	shim_free_all();
	return 0;
}
