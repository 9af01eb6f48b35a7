/*
 * model_json.c — the text form of bpnn_model: a readable JSON document
 * that round-trips exactly (floats in their shortest round-trip form), its
 * parser, and the type's input/output functions.  bpnn_info() reuses the
 * writer without the weights.
 *
 * The document:
 *   {"format_version": 1, "layers": [4, 32, 3],
 *    "activation": "bipolar_sigmoid", "output_activation": "bipolar_sigmoid",
 *    "loss": "squared_error",
 *    "features": [...], "classes": [...],
 *    (a regressor, format 4 on: "task": "regression",
 *     "target": {"shift": [...], "scale": [...]} before "features", and
 *     "outputs" in place of "classes"; y = output * scale + shift)
 *    "columns": [...], "skipped_columns": [{"name": ..., "reason": ...}],
 *    "missing": "skip", "impute": [...],
 *    "normalization": {"method": "zscore", "shift": [...], "scale": [...]},
 *    "training": {...}, "weights": [[layer 1], [layer 2], ...],
 *    (format 5 on, when the model keeps it: "trainer_state": {"step": n,
 *     "first": [...], "second": [...] (Adam), "last": [...] (early
 *     stopping kept an earlier epoch)}, each as long as the weights)}
 * Without validation, training's best_epoch and validation_loss are null.
 * bpnn_info's form leaves out the weights (and of the trainer's state says
 * only its step and whether it holds last weights), the imputed values of a model
 * that does not impute, and summarises loss_per_epoch as loss_summary.
 * Each layer's weights are its (inputs + 1) x outputs matrix, row-major,
 * biases in the last row (see nn.h).
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "model.h"
#include "model_json.h"
#include "nn_fit.h"

PG_FUNCTION_INFO_V1(bpnn_model_in);
PG_FUNCTION_INFO_V1(bpnn_model_out);
PG_FUNCTION_INFO_V1(bpnn_model_from_jsonb);
PG_FUNCTION_INFO_V1(bpnn_model_to_jsonb);

/* ---------- writer ---------- */

/* a double in its shortest form that reads back exactly */
static void
write_double(StringInfo buf, double v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, tmp);
	appendStringInfoString(buf, tmp);
}

/* a JSON array of doubles */
static void
write_doubles(StringInfo buf, const double *v, Size n)
{
	Size		i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (i > 0)
			appendStringInfoString(buf, ", ");
		write_double(buf, v[i]);
	}
	appendStringInfoChar(buf, ']');
}

/* a JSON array of strings, each escaped */
static void
write_strings(StringInfo buf, char **s, int n)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (i > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, s[i]);
	}
	appendStringInfoChar(buf, ']');
}

/* the separator and the key of the next member of an object */
static void
write_key(StringInfo buf, const char *key)
{
	appendStringInfo(buf, ", \"%s\": ", key);
}

/* float4 values in their shortest round-trip form */
static void
write_floats(StringInfo buf, const float *v, Size n)
{
	char		tmp[FLOAT_SHORTEST_DECIMAL_LEN];
	Size		i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		float_to_shortest_decimal_buf(v[i], tmp);
		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfoString(buf, tmp);
	}
	appendStringInfoChar(buf, ']');
}

/* the trainer's state (warm start); bpnn_info's form without its arrays */
static void
write_trainer_state(StringInfo buf, const BpnnModel *m, bool with_weights)
{
	Size		n = nn_weight_count(&m->layout);

	if (!m->state.present)
		return;
	appendStringInfo(buf, ", \"trainer_state\": {\"step\": " INT64_FORMAT, m->state.step);
	if (!with_weights)
	{
		appendStringInfo(buf, ", \"last_weights\": %s}", m->state.last ? "true" : "false");
		return;
	}
	write_key(buf, "first");
	write_floats(buf, m->state.first, n);
	if (m->state.second)
	{
		write_key(buf, "second");
		write_floats(buf, m->state.second, n);
	}
	if (m->state.last)
	{
		write_key(buf, "last");
		write_floats(buf, m->state.last, n);
	}
	appendStringInfoChar(buf, '}');
}

/*
 * bpnn_info's account of the losses: how many, the first, the lowest and
 * when, the last (the text form keeps every epoch's loss, in
 * loss_per_epoch, so that jsonb_pretty(bpnn_info(m)) stays short)
 */
static void
write_loss_summary(StringInfo buf, const double *loss, int n)
{
	int			lowest = 0,
				e;

	if (n == 0)
	{
		appendStringInfoString(buf, "{\"epochs\": 0}");
		return;
	}
	for (e = 1; e < n; e++)
		if (loss[e] < loss[lowest])
			lowest = e;
	appendStringInfo(buf, "{\"epochs\": %d", n);
	write_key(buf, "first");
	write_double(buf, loss[0]);
	write_key(buf, "lowest");
	write_double(buf, loss[lowest]);
	appendStringInfo(buf, ", \"lowest_epoch\": %d", lowest + 1);
	write_key(buf, "last");
	write_double(buf, loss[n - 1]);
	appendStringInfoChar(buf, '}');
}

/*
 * the training record as a JSON object (losses in full, or summed up for
 * bpnn_info)
 */
static void
write_training(StringInfo buf, const BpnnTrainingInfo *t, int n_classes, bool summary)
{
	/* no validation: no best epoch and no validation loss, rather than 0 */
	bool		no_validation = t->validation_rows == 0 && t->best_epoch == 0 &&
		t->validation_loss == 0.0;

	appendStringInfoString(buf, "{\"source\": ");
	escape_json(buf, t->source);
	write_key(buf, "label_column");
	escape_json(buf, t->label_column);
	appendStringInfo(buf, ", \"epochs\": %d", t->epochs);
	write_key(buf, "learning_rate");
	write_double(buf, t->learning_rate);
	write_key(buf, "momentum");
	write_double(buf, t->momentum);
	appendStringInfo(buf, ", \"batch_size\": %d", t->batch_size);
	write_key(buf, "init_range");
	write_double(buf, t->init_range);
	appendStringInfo(buf, ", \"seed\": " INT64_FORMAT, t->seed);
	appendStringInfo(buf, ", \"optimizer\": \"%s\"", fit_optimizer_name(t->optimizer));
	write_key(buf, "weight_decay");
	write_double(buf, t->weight_decay);
	write_key(buf, "validation_fraction");
	write_double(buf, t->validation_fraction);
	appendStringInfo(buf, ", \"patience\": %d", t->patience);
	write_key(buf, "class_weights");
	write_doubles(buf, t->class_weights, n_classes);
	appendStringInfo(buf, ", \"rows_used\": " INT64_FORMAT, t->rows_used);
	appendStringInfo(buf, ", \"validation_rows\": " INT64_FORMAT, t->validation_rows);
	appendStringInfo(buf, ", \"rows_skipped\": " INT64_FORMAT, t->rows_skipped);
	appendStringInfo(buf, ", \"epochs_run\": %d", t->epochs_run);
	if (no_validation)
		appendStringInfoString(buf, ", \"best_epoch\": null, \"validation_loss\": null");
	else
	{
		appendStringInfo(buf, ", \"best_epoch\": %d", t->best_epoch);
		write_key(buf, "validation_loss");
		write_double(buf, t->validation_loss);
	}
	write_key(buf, "final_loss");
	write_double(buf, t->final_loss);
	write_key(buf, "train_accuracy");
	write_double(buf, t->train_accuracy);
	write_key(buf, "seconds");
	write_double(buf, t->seconds);
	appendStringInfo(buf, ", \"workers\": %d", t->workers);
	if (summary)
	{
		write_key(buf, "loss_summary");
		write_loss_summary(buf, t->epoch_loss, t->n_epoch_loss);
	}
	else
	{
		write_key(buf, "loss_per_epoch");
		write_doubles(buf, t->epoch_loss, t->n_epoch_loss);
	}
	appendStringInfoChar(buf, '}');
}

/* the model's text form, a JSON object (with or without the weights) */
char *
model_to_json(const BpnnModel *m, bool with_weights)
{
	const NnLayout *layout = &m->layout;
	StringInfoData buf;
	int			l;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"format_version\": %d, \"layers\": [",
					 BPNN_FORMAT_VERSION);
	for (l = 0; l <= layout->n_layers; l++)
		appendStringInfo(&buf, l ? ", %d" : "%d", layout->sizes[l]);
	appendStringInfo(&buf, "], \"activation\": \"%s\", \"output_activation\": \"%s\", \"loss\": \"%s\"",
					 nn_activation_name(layout->hidden_act),
					 nn_activation_name(layout->output_act),
					 nn_loss_name(layout->loss));
	/* a classifier's document is that of format 3: no task, no target */
	if (m->task == BPNN_TASK_REGRESSION)
	{
		appendStringInfoString(&buf, ", \"task\": \"regression\", \"target\": {\"shift\": ");
		write_doubles(&buf, m->target_shift, model_n_classes(m));
		appendStringInfoString(&buf, ", \"scale\": ");
		write_doubles(&buf, m->target_scale, model_n_classes(m));
		appendStringInfoChar(&buf, '}');
	}
	write_key(&buf, "features");
	write_strings(&buf, m->feature_names, model_n_features(m));
	write_key(&buf, m->task == BPNN_TASK_REGRESSION ? "outputs" : "classes");
	write_strings(&buf, m->class_names, model_n_classes(m));
	write_key(&buf, "columns");
	appendStringInfoChar(&buf, '[');
	for (l = 0; l < m->n_columns; l++)
	{
		static const char *const kinds[BPNN_COLUMN_KIND_COUNT] = {"number", "array", "text"};

		CHECK_FOR_INTERRUPTS();
		appendStringInfoString(&buf, l ? ", {\"name\": " : "{\"name\": ");
		escape_json(&buf, m->column_names[l]);
		appendStringInfo(&buf, ", \"kind\": \"%s\", \"width\": %d", kinds[m->column_kinds[l]],
						 m->column_widths[l]);
		if (m->column_kinds[l] == BPNN_COLUMN_CATEGORY)
		{
			appendStringInfoString(&buf, ", \"values\": ");
			write_strings(&buf, m->categories[l], m->column_widths[l]);
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	write_key(&buf, "skipped_columns");
	appendStringInfoChar(&buf, '[');
	for (l = 0; l < m->n_skipped; l++)
	{
		appendStringInfoString(&buf, l ? ", {\"name\": " : "{\"name\": ");
		escape_json(&buf, m->skipped_names[l]);
		appendStringInfoString(&buf, ", \"reason\": ");
		escape_json(&buf, m->skipped_reasons[l]);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	appendStringInfo(&buf, ", \"missing\": \"%s\"",
					 m->missing == BPNN_MISSING_IMPUTE ? "impute" : "skip");
	/* the text form keeps every value; bpnn_info shows only those in use */
	if (with_weights || m->missing == BPNN_MISSING_IMPUTE)
	{
		write_key(&buf, "impute");
		write_doubles(&buf, m->impute, model_n_features(m));
	}
	appendStringInfo(&buf, ", \"normalization\": {\"method\": \"%s\", \"shift\": ",
					 norm_method_name(m->normalization));
	write_doubles(&buf, m->shift, model_n_features(m));
	appendStringInfoString(&buf, ", \"scale\": ");
	write_doubles(&buf, m->scale, model_n_features(m));
	appendStringInfoChar(&buf, '}');
	write_key(&buf, "training");
	write_training(&buf, &m->training, model_n_classes(m), !with_weights);
	if (with_weights)
	{
		write_key(&buf, "weights");
		appendStringInfoChar(&buf, '[');
		for (l = 0; l < layout->n_layers; l++)
		{
			appendStringInfoString(&buf, l ? ", " : "");
			write_floats(&buf, m->weights + nn_layer_offset(layout, l),
						 (Size) (layout->sizes[l] + 1) * layout->sizes[l + 1]);
		}
		appendStringInfoChar(&buf, ']');
	}
	write_trainer_state(&buf, m, with_weights);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* ---------- parser ---------- */

static void bad_text(const char *detail) pg_attribute_noreturn();

/* an error: the text is not a bpnn_model, for the reason in detail */
static void
bad_text(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type bpnn_model"),
			 errdetail_internal("%s", detail)));
}

/* the value of a key that must be present and of the given JSON type */
static JsonbValue *
get_key(JsonbContainer *obj, const char *key, enum jbvType type)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);

	if (v == NULL)
		bad_text(psprintf("The key \"%s\" is missing.", key));
	if (v->type != type)
		bad_text(psprintf("The key \"%s\" has the wrong JSON type.", key));
	return v;
}

/* is the key there, holding null? */
static bool
key_is_null(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);

	return v != NULL && v->type == jbvNull;
}

/* the object or array a key holds, of the expected length if one is given */
static JsonbContainer *
get_container(JsonbContainer *obj, const char *key, bool array, int expect_len)
{
	JsonbContainer *c = get_key(obj, key, jbvBinary)->val.binary.data;

	if (array ? !JsonContainerIsArray(c) : !JsonContainerIsObject(c))
		bad_text(psprintf("The key \"%s\" must hold a JSON %s.", key,
						  array ? "array" : "object"));
	if (array && expect_len >= 0 && (int) JsonContainerSize(c) != expect_len)
		bad_text(psprintf("The array \"%s\" has %d elements, not %d.", key,
						  (int) JsonContainerSize(c), expect_len));
	return c;
}

/* element i of an array, which must be of the given JSON type */
static JsonbValue *
get_element(JsonbContainer *array, int i, enum jbvType type, const char *what)
{
	JsonbValue *v = getIthJsonbValueFromContainer(array, i);

	if (v == NULL || v->type != type)
		bad_text(psprintf("An element of \"%s\" has the wrong JSON type.", what));
	return v;
}

/* a JSON number as a double */
static double
number_to_double(JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

/* a JSON number that must be a whole int64 */
static int64
number_to_int64(JsonbValue *v, const char *key)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out,
														   NumericGetDatum(v->val.numeric)));
	char	   *end;
	int64		result;

	errno = 0;
	result = strtoi64(text, &end, 10);
	if (errno != 0 || *end != '\0')
		bad_text(psprintf("The key \"%s\" must hold an integer.", key));
	return result;
}

/* the integer a key holds, within int32 */
static int32
get_int32(JsonbContainer *obj, const char *key)
{
	int64		v = number_to_int64(get_key(obj, key, jbvNumeric), key);

	if (v < PG_INT32_MIN || v > PG_INT32_MAX)
		bad_text(psprintf("The key \"%s\" is out of range.", key));
	return (int32) v;
}

/* the number a key holds */
static double
get_double(JsonbContainer *obj, const char *key)
{
	return number_to_double(get_key(obj, key, jbvNumeric));
}

/* the string a key holds, as a palloc'd C string */
static char *
get_string(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = get_key(obj, key, jbvString);

	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* the n strings of the array a key holds */
static char **
get_strings(JsonbContainer *obj, const char *key, int n)
{
	JsonbContainer *a = get_container(obj, key, true, n);
	char	  **out = palloc(sizeof(char *) * n);
	int			i;

	for (i = 0; i < n; i++)
	{
		JsonbValue *v;

		CHECK_FOR_INTERRUPTS();
		v = get_element(a, i, jbvString, key);

		out[i] = pnstrdup(v->val.string.val, v->val.string.len);
	}
	return out;
}

/* the n numbers of the array a key holds */
static double *
get_doubles(JsonbContainer *obj, const char *key, int n)
{
	JsonbContainer *a = get_container(obj, key, true, n);
	double	   *out = palloc(sizeof(double) * (n + 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		out[i] = number_to_double(get_element(a, i, jbvNumeric, key));
	}
	return out;
}

/* n float4 values (the weights' form) */
static float *
get_floats(JsonbContainer *obj, const char *key, Size n)
{
	JsonbContainer *a = get_container(obj, key, true, -1);
	float	   *out;
	Size		i;

	if ((Size) JsonContainerSize(a) != n)
		bad_text(psprintf("The array \"%s\" must have %zu elements.", key, n));
	out = palloc(sizeof(float) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		out[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4,
													NumericGetDatum(get_element(a, (int) i, jbvNumeric, key)->val.numeric)));
	}
	return out;
}

/* format 5 on: the trainer's state, when the document has one */
static void
parse_trainer_state(JsonbContainer *root, BpnnModel *m, int version)
{
	JsonbContainer *st;
	Size		n = nn_weight_count(&m->layout);
	int64		step;

	if (version < 5 || getKeyJsonValueFromContainer(root, "trainer_state", 13, NULL) == NULL)
		return;
	st = get_container(root, "trainer_state", false, -1);
	step = number_to_int64(get_key(st, "step", jbvNumeric), "step");
	m->state.present = true;
	m->state.step = step;
	m->state.first = get_floats(st, "first", n);
	if (getKeyJsonValueFromContainer(st, "second", 6, NULL) != NULL)
		m->state.second = get_floats(st, "second", n);
	if (getKeyJsonValueFromContainer(st, "last", 4, NULL) != NULL)
		m->state.last = get_floats(st, "last", n);
}

/*
 * the value of a named setting (activation, loss...), or an error for an
 * unknown name
 */
static int
enum_from_name(const char *name, int (*lookup) (const char *), const char *key)
{
	int			v = lookup(name);

	if (v < 0)
		bad_text(psprintf("The %s \"%s\" is unknown.", key, name));
	return v;
}

/*
 * the training record from its JSON object, as the model's format version
 * has it
 */
static void
parse_training(JsonbContainer *obj, BpnnTrainingInfo *t, int n_classes, int version)
{
	JsonbContainer *losses;

	t->source = get_string(obj, "source");
	t->label_column = get_string(obj, "label_column");
	t->epochs = get_int32(obj, "epochs");
	t->learning_rate = get_double(obj, "learning_rate");
	t->momentum = get_double(obj, "momentum");
	t->batch_size = get_int32(obj, "batch_size");
	t->init_range = get_double(obj, "init_range");
	t->seed = number_to_int64(get_key(obj, "seed", jbvNumeric), "seed");
	t->optimizer = (uint8) enum_from_name(get_string(obj, "optimizer"),
										  fit_optimizer_from_name, "optimizer");
	t->weight_decay = get_double(obj, "weight_decay");
	t->validation_fraction = get_double(obj, "validation_fraction");
	t->patience = get_int32(obj, "patience");
	t->class_weights = get_doubles(obj, "class_weights", n_classes);
	t->rows_used = number_to_int64(get_key(obj, "rows_used", jbvNumeric), "rows_used");
	t->validation_rows = number_to_int64(get_key(obj, "validation_rows", jbvNumeric), "validation_rows");
	t->rows_skipped = number_to_int64(get_key(obj, "rows_skipped", jbvNumeric), "rows_skipped");
	t->epochs_run = get_int32(obj, "epochs_run");
	/* null: no validation (format 3 writes null rather than 0) */
	t->best_epoch = key_is_null(obj, "best_epoch") ? 0 : get_int32(obj, "best_epoch");
	t->validation_loss = key_is_null(obj, "validation_loss") ? 0.0
		: get_double(obj, "validation_loss");
	t->final_loss = get_double(obj, "final_loss");
	t->train_accuracy = get_double(obj, "train_accuracy");
	t->seconds = get_double(obj, "seconds");
	t->workers = version >= 2 ? get_int32(obj, "workers") : 0;
	losses = get_container(obj, "loss_per_epoch", true, -1);
	t->n_epoch_loss = (int32) JsonContainerSize(losses);
	t->epoch_loss = get_doubles(obj, "loss_per_epoch", t->n_epoch_loss);
}

/* a model from its text form (parsed as jsonb, then read) */
BpnnModel *
model_from_json(const char *text)
{
	return model_from_jsonb(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text))));
}

/*
 * a model from its JSON document, every key checked (model_encode validates
 * the rest)
 */
BpnnModel *
model_from_jsonb(Jsonb *jb)
{
	JsonbContainer *root = &jb->root;
	JsonbContainer *layers,
			   *norm,
			   *weights;
	BpnnModel  *m = palloc0(sizeof(BpnnModel));
	NnLayout   *layout = &m->layout;
	int			version,
				n_layers,
				l,
				i;

	if (!JsonContainerIsObject(root) || JsonContainerIsScalar(root))
		bad_text("A bpnn_model is a JSON object.");
	version = get_int32(root, "format_version");
	if (version < 1 || version > BPNN_FORMAT_VERSION)
		bad_text(psprintf("The format version %d is not one this bpnn reads (1 to %d).",
						  version, BPNN_FORMAT_VERSION));

	layers = get_container(root, "layers", true, -1);
	n_layers = (int) JsonContainerSize(layers) - 1;
	if (n_layers < 1 || n_layers > NN_MAX_LAYERS)
		bad_text(psprintf("A model has 1 to %d weight layers.", NN_MAX_LAYERS));
	layout->n_layers = n_layers;
	for (l = 0; l <= n_layers; l++)
	{
		int64		size = number_to_int64(get_element(layers, l, jbvNumeric, "layers"),
										   "layers");

		if (size < 1 || size > BPNN_MAX_UNITS)
			bad_text(psprintf("A layer has 1 to %d units.", BPNN_MAX_UNITS));
		layout->sizes[l] = (int) size;
	}
	layout->hidden_act = enum_from_name(get_string(root, "activation"),
										nn_activation_from_name, "activation");
	layout->output_act = enum_from_name(get_string(root, "output_activation"),
										nn_activation_from_name, "output_activation");
	layout->loss = enum_from_name(get_string(root, "loss"), nn_loss_from_name, "loss");
	if (model_n_classes(m) > BPNN_MAX_CLASSES)
		bad_text("The model has too many classes.");
	m->feature_names = get_strings(root, "features", model_n_features(m));
	/* format 4 on: "task" (absent: classification) and a regressor's target scaling */
	if (version >= 4 && getKeyJsonValueFromContainer(root, "task", 4, NULL) != NULL)
	{
		char	   *task = get_string(root, "task");

		if (strcmp(task, "regression") == 0)
			m->task = BPNN_TASK_REGRESSION;
		else if (strcmp(task, "classification") != 0)
			bad_text(psprintf("The task \"%s\" is unknown.", task));
	}
	if (m->task == BPNN_TASK_REGRESSION)
	{
		JsonbContainer *target = get_container(root, "target", false, -1);

		m->target_shift = get_doubles(target, "shift", model_n_classes(m));
		m->target_scale = get_doubles(target, "scale", model_n_classes(m));
	}
	m->class_names = get_strings(root, m->task == BPNN_TASK_REGRESSION ? "outputs" : "classes",
								 model_n_classes(m));
	{
		JsonbContainer *cols = get_container(root, "columns", true, -1);
		char	   *kind;

		m->n_columns = (int) JsonContainerSize(cols);
		if (m->n_columns < 1 || m->n_columns > model_n_features(m))
			bad_text("The number of source columns is inconsistent.");
		m->column_names = palloc(sizeof(char *) * m->n_columns);
		m->column_widths = palloc(sizeof(int32) * m->n_columns);
		m->column_kinds = palloc(sizeof(uint8) * m->n_columns);
		m->categories = palloc0(sizeof(char **) * m->n_columns);
		for (i = 0; i < m->n_columns; i++)
		{
			JsonbValue *col;

			CHECK_FOR_INTERRUPTS();
			col = get_element(cols, i, jbvBinary, "columns");

			if (!JsonContainerIsObject(col->val.binary.data))
				bad_text("An element of \"columns\" must be a JSON object.");
			m->column_names[i] = get_string(col->val.binary.data, "name");
			m->column_widths[i] = get_int32(col->val.binary.data, "width");
			kind = get_string(col->val.binary.data, "kind");
			m->column_kinds[i] = strcmp(kind, "number") == 0 ? BPNN_COLUMN_NUMBER :
				strcmp(kind, "array") == 0 ? BPNN_COLUMN_ARRAY :
				strcmp(kind, "text") == 0 ? BPNN_COLUMN_CATEGORY : BPNN_COLUMN_KIND_COUNT;
			if (m->column_kinds[i] == BPNN_COLUMN_KIND_COUNT)
				bad_text(psprintf("The column kind \"%s\" is unknown.", kind));
			if (m->column_kinds[i] == BPNN_COLUMN_CATEGORY)
			{
				if (m->column_widths[i] < 1 || m->column_widths[i] > BPNN_MAX_CATEGORIES)
					bad_text("A text column has too many values.");
				m->categories[i] = get_strings(col->val.binary.data, "values", m->column_widths[i]);
			}
		}
		if (version >= 3)
		{
			JsonbContainer *skipped = get_container(root, "skipped_columns", true, -1);

			m->n_skipped = (int) JsonContainerSize(skipped);
			if (m->n_skipped > BPNN_MAX_SKIPPED)
				bad_text("The number of columns left out is inconsistent.");
			m->skipped_names = palloc(sizeof(char *) * (m->n_skipped + 1));
			m->skipped_reasons = palloc(sizeof(char *) * (m->n_skipped + 1));
			for (i = 0; i < m->n_skipped; i++)
			{
				JsonbValue *col = get_element(skipped, i, jbvBinary, "skipped_columns");

				if (!JsonContainerIsObject(col->val.binary.data))
					bad_text("An element of \"skipped_columns\" must be a JSON object.");
				m->skipped_names[i] = get_string(col->val.binary.data, "name");
				m->skipped_reasons[i] = get_string(col->val.binary.data, "reason");
			}
		}
		kind = get_string(root, "missing");
		if (strcmp(kind, "skip") == 0)
			m->missing = BPNN_MISSING_SKIP;
		else if (strcmp(kind, "impute") == 0)
			m->missing = BPNN_MISSING_IMPUTE;
		else
			bad_text(psprintf("The missing-value policy \"%s\" is unknown.", kind));
		m->impute = get_doubles(root, "impute", model_n_features(m));
	}

	norm = get_container(root, "normalization", false, -1);
	m->normalization = enum_from_name(get_string(norm, "method"),
									  norm_method_from_name, "normalization method");
	m->shift = get_doubles(norm, "shift", model_n_features(m));
	m->scale = get_doubles(norm, "scale", model_n_features(m));

	parse_training(get_container(root, "training", false, -1), &m->training,
				   model_n_classes(m), version);

	/* check every layer's length before allocating what the layout implies */
	weights = get_container(root, "weights", true, n_layers);
	for (l = 0; l < n_layers; l++)
	{
		JsonbContainer *w = get_element(weights, l, jbvBinary, "weights")->val.binary.data;
		Size		n = (Size) (layout->sizes[l] + 1) * layout->sizes[l + 1];

		if (!JsonContainerIsArray(w) || JsonContainerSize(w) != n)
			bad_text(psprintf("Weight layer %d must be an array of %zu numbers.", l + 1, n));
	}
	m->weights = palloc(sizeof(float) * nn_weight_count(layout));
	for (l = 0; l < n_layers; l++)
	{
		JsonbContainer *w = get_element(weights, l, jbvBinary, "weights")->val.binary.data;
		Size		n = (Size) (layout->sizes[l] + 1) * layout->sizes[l + 1];
		float	   *dst = m->weights + nn_layer_offset(layout, l);

		for (i = 0; (Size) i < n; i++)
		{
			JsonbValue *v;

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			v = get_element(w, i, jbvNumeric, "weights");

			dst[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4,
														NumericGetDatum(v->val.numeric)));
		}
	}

	parse_trainer_state(root, m, version);

	model_validate(m, ERRCODE_INVALID_TEXT_REPRESENTATION);
	return m;
}

/* ---------- text I/O of the type ---------- */

/* bpnn_model's input function: the JSON text form */
Datum
bpnn_model_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);

	PG_RETURN_POINTER(model_encode(model_from_json(text)));
}

/* bpnn_model's output function: the JSON text form, weights included */
Datum
bpnn_model_out(PG_FUNCTION_ARGS)
{
	struct varlena *raw = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	BpnnModel  *m = model_decode(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
								 ERRCODE_DATA_CORRUPTED);

	PG_RETURN_CSTRING(model_to_json(m, true));
}

/* ---------- the casts to and from jsonb: the text form's document ---------- */

/* the cast jsonb -> bpnn_model */
Datum
bpnn_model_from_jsonb(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_encode(model_from_jsonb(PG_GETARG_JSONB_P(0))));
}

/* the cast bpnn_model -> jsonb: the text form's document */
Datum
bpnn_model_to_jsonb(PG_FUNCTION_ARGS)
{
	struct varlena *raw = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	BpnnModel  *m = model_decode(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
								 ERRCODE_DATA_CORRUPTED);

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(model_to_json(m, true)));
}

/* "key": v, shortest exact decimal, null when v is not finite (model_json.h) */
void
model_json_append_number(StringInfo buf, const char *key, double v)
{
	char		digits[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (!isfinite(v))
	{
		appendStringInfo(buf, "\"%s\": null", key);
		return;
	}
	double_to_shortest_decimal_buf(v, digits);
	appendStringInfo(buf, "\"%s\": %s", key, digits);
}
