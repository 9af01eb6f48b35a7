/*
 * model.c — the bpnn_model value (see model.h): the stored binary format
 * (encode, decode), the validator every entry point shares, the binary
 * send/recv functions of the type, and the per-query cache of decoded
 * models used by the functions that read a model row after row.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/detoast.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "nodes/primnodes.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"

#include "model.h"
#include "nn_fit.h"

PG_FUNCTION_INFO_V1(bpnn_model_recv);
PG_FUNCTION_INFO_V1(bpnn_model_from_bytea);
PG_FUNCTION_INFO_V1(bpnn_model_send);

#define BPNN_MAGIC "BPNN"

static void invalid(int sqlstate, const char *detail) pg_attribute_noreturn();

/* an error: the value is not a valid bpnn_model, for the reason in detail */
static void
invalid(int sqlstate, const char *detail)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid bpnn_model value"),
			 errdetail_internal("%s", detail)));
}

/* ---------- validation ---------- */

/* a stored string: bounded, valid in the server encoding, empty only if allowed */
static void
validate_string(const char *name, int sqlstate, const char *what, bool may_be_empty)
{
	size_t		len = strlen(name);

	if (len == 0 && !may_be_empty)
		invalid(sqlstate, psprintf("A %s is empty.", what));
	if (len > BPNN_MAX_NAME_BYTES)
		invalid(sqlstate, psprintf("A %s is longer than %d bytes.", what, BPNN_MAX_NAME_BYTES));
	if (!pg_verifymbstr(name, (int) len, true))
		invalid(sqlstate, psprintf("A %s is not valid in the server encoding.", what));
}

/* a name (of a class, column or feature) checked as a stored string */
static void
validate_name(const char *name, int sqlstate, const char *what)
{
	validate_string(name, sqlstate, psprintf("%s name", what), false);
}

/* n float8 values (doubles) or float4 values (floats): all finite */
static void
validate_finite_values(const double *doubles, const float *floats, Size n, int sqlstate,
					   const char *what)
{
	Size		i;

	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!isfinite(doubles ? doubles[i] : (double) floats[i]))
			invalid(sqlstate, psprintf("The %s contain a non-finite value.", what));
	}
}

/* n float8 values, all finite, or an error naming what they are */
static void
validate_finite(const double *values, Size n, int sqlstate, const char *what)
{
	validate_finite_values(values, NULL, n, sqlstate, what);
}

/* n float4 values, all finite, or an error naming what they are */
static void
validate_floats(const float *values, Size n, int sqlstate, const char *what)
{
	validate_finite_values(NULL, values, n, sqlstate, what);
}

/* names[order[i]] before names[order[j]]: by bytes, then by position */
static inline bool
name_before(char *const *names, int a, int b)
{
	int			c = strcmp(names[a], names[b]);

	return c < 0 || (c == 0 && a < b);
}

/*
 * The position of the first name that repeats an earlier one (the earliest
 * second occurrence, which a pairwise scan would report), or -1.
 *
 * The positions are merge-sorted by name, then neighbours compared: at most
 * n log2 n comparisons whatever the names, where comparing every pair took
 * 15 s for 40,000 columns.  A merge sort rather than pg_qsort (whose
 * quicksort has a quadratic worst case) or a hash table (whose buckets an
 * unseeded hash lets crafted names fill); it checks for interrupts after
 * every run it merges.
 */
static int
first_repeat(char *const *names, int n)
{
	int		   *order,
			   *tmp,
				width,
				i,
				result = -1;

	if (n < 2)
		return -1;
	order = palloc(sizeof(int) * n);
	tmp = palloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (width = 1; width < n; width *= 2)
	{
		int		   *swap;
		int			lo;

		for (lo = 0; lo < n; lo += 2 * width)
		{
			int			mid = Min(lo + width, n),
						hi = Min(lo + 2 * width, n),
						a = lo,
						b = mid,
						k = lo;

			CHECK_FOR_INTERRUPTS();
			while (a < mid && b < hi)
				tmp[k++] = name_before(names, order[b], order[a]) ? order[b++] : order[a++];
			while (a < mid)
				tmp[k++] = order[a++];
			while (b < hi)
				tmp[k++] = order[b++];
		}
		swap = order;
		order = tmp;
		tmp = swap;
	}
	/* equal names are adjacent, in position order: the later of a pair repeats */
	for (i = 1; i < n; i++)
		if (strcmp(names[order[i - 1]], names[order[i]]) == 0 &&
			(result < 0 || order[i] < result))
			result = order[i];
	pfree(order);
	pfree(tmp);
	return result;
}

/* the trainer's state: as the optimizer and the early-stopping record imply */
static void
validate_trainer_state(const BpnnModel *model, int sqlstate)
{
	const BpnnTrainerState *s = &model->state;
	const BpnnTrainingInfo *t = &model->training;
	Size		n = nn_weight_count(&model->layout),
				i;
	bool		adam = t->optimizer == FIT_ADAM;

	if (s->first == NULL || (s->second != NULL) != adam ||
		s->step < 0 || (!adam && s->step != 0))
		invalid(sqlstate, "The trainer's state does not match the optimizer.");
	if (s->last != NULL &&
		!(t->best_epoch > 0 && t->best_epoch < t->epochs_run))
		invalid(sqlstate, "The trainer's state holds last weights, but early stopping kept the last epoch's.");
	validate_floats(s->first, n, sqlstate, "optimizer's state");
	if (adam)
	{
		validate_floats(s->second, n, sqlstate, "optimizer's state");
		for (i = 0; i < n; i++)
			if (s->second[i] < 0.0f)
				invalid(sqlstate, "A second moment is negative.");
	}
	if (s->last != NULL)
		validate_floats(s->last, n, sqlstate, "last weights");
}

/* check everything a decoded model must satisfy, or an error with sqlstate */
void
model_validate(const BpnnModel *model, int sqlstate)
{
	const NnLayout *layout = &model->layout;
	const BpnnTrainingInfo *t = &model->training;
	int			n_features,
				n_classes,
				l,
				i,
				j;
	Size		n_weights;

	if (layout->n_layers < 1 || layout->n_layers > NN_MAX_LAYERS)
		invalid(sqlstate, psprintf("A model has 1 to %d weight layers, not %d.",
								  NN_MAX_LAYERS, layout->n_layers));
	for (l = 0; l <= layout->n_layers; l++)
		if (layout->sizes[l] < 1 || layout->sizes[l] > BPNN_MAX_UNITS)
			invalid(sqlstate, psprintf("Layer %d has %d units; a layer has 1 to %d.",
									  l, layout->sizes[l], BPNN_MAX_UNITS));
	n_features = model_n_features(model);
	n_classes = model_n_classes(model);
	if (model->task >= BPNN_TASK_COUNT)
		invalid(sqlstate, "The task is unknown.");
	if (model->task == BPNN_TASK_CLASSIFICATION &&
		(n_classes < 2 || n_classes > BPNN_MAX_CLASSES))
		invalid(sqlstate, psprintf("A model has 2 to %d classes, not %d.",
								  BPNN_MAX_CLASSES, n_classes));
	if (model->task == BPNN_TASK_REGRESSION && n_classes > BPNN_MAX_CLASSES)
		invalid(sqlstate, psprintf("A regressor has 1 to %d outputs, not %d.",
								  BPNN_MAX_CLASSES, n_classes));
	if ((int) layout->hidden_act < 0 || layout->hidden_act >= NN_HIDDEN_ACT_COUNT)
		invalid(sqlstate, "The activation is unknown.");
	if ((int) layout->loss < 0 || layout->loss >= NN_LOSS_COUNT)
		invalid(sqlstate, "The loss is unknown.");
	if (model->task == BPNN_TASK_REGRESSION)
	{
		/* a linear output and squared error, whatever the hidden units */
		if (layout->loss != NN_LOSS_SQUARED_ERROR || layout->output_act != NN_ACT_LINEAR)
			invalid(sqlstate, "A regressor has a linear output and the squared error loss.");
		validate_finite(model->target_shift, n_classes, sqlstate, "target shifts");
		validate_finite(model->target_scale, n_classes, sqlstate, "target scales");
		for (i = 0; i < n_classes; i++)
			if (!(model->target_scale[i] > 0.0))
				invalid(sqlstate, "A target scale is not positive.");
	}
	else if (layout->output_act != nn_output_activation_for(layout->hidden_act, layout->loss))
		invalid(sqlstate, "The output activation does not match the hidden activation and loss.");
	if ((int) model->normalization < 0 ||
		(int) model->normalization >= NORM_METHOD_COUNT)
		invalid(sqlstate, "The normalization method is unknown.");

	for (i = 0; i < n_features; i++)
	{
		CHECK_FOR_INTERRUPTS();
		validate_name(model->feature_names[i], sqlstate, "feature");
	}
	for (i = 0; i < n_classes; i++)
	{
		CHECK_FOR_INTERRUPTS();
		validate_string(model->class_names[i], sqlstate, "class name", true);
	}
	if ((j = first_repeat(model->class_names, n_classes)) >= 0)
		invalid(sqlstate, psprintf("The class \"%s\" appears twice.",
								  model->class_names[j]));
	if (model->n_columns < 1 || model->n_columns > n_features)
		invalid(sqlstate, "The number of source columns is inconsistent.");
	{
		int64		width_sum = 0;

		for (i = 0; i < model->n_columns; i++)
		{
			CHECK_FOR_INTERRUPTS();
			validate_name(model->column_names[i], sqlstate, "column");
			if (model->column_widths[i] < 1)
				invalid(sqlstate, "A source column has no inputs.");
			width_sum += model->column_widths[i];
		}
		if ((j = first_repeat(model->column_names, model->n_columns)) >= 0)
			invalid(sqlstate, psprintf("The column \"%s\" appears twice.",
									   model->column_names[j]));
		if (width_sum != n_features)
			invalid(sqlstate, "The source columns' widths do not add up to the inputs.");
		for (i = 0; i < model->n_columns; i++)
		{
			if (model->column_kinds[i] >= BPNN_COLUMN_KIND_COUNT)
				invalid(sqlstate, "A source column's kind is unknown.");
			if (model->column_kinds[i] == BPNN_COLUMN_NUMBER && model->column_widths[i] != 1)
				invalid(sqlstate, "A number column gives more than one input.");
			if (model->column_kinds[i] == BPNN_COLUMN_CATEGORY)
			{
				if (model->column_widths[i] > BPNN_MAX_CATEGORIES)
					invalid(sqlstate, "A text column has too many values.");
				for (j = 0; j < model->column_widths[i]; j++)
				{
					CHECK_FOR_INTERRUPTS();
					validate_string(model->categories[i][j], sqlstate, "category", true);
				}
				if (first_repeat(model->categories[i], model->column_widths[i]) >= 0)
					invalid(sqlstate, "A category appears twice.");
			}
		}
	}
	if (model->missing > BPNN_MISSING_IMPUTE)
		invalid(sqlstate, "The missing-value policy is unknown.");
	validate_finite(model->impute, n_features, sqlstate, "imputed values");
	/* an imputed value is a float4 input, like the values scored (model_normalize_features) */
	for (i = 0; i < n_features; i++)
		if (fabs(model->impute[i]) > FLT_MAX)
			invalid(sqlstate, "An imputed value is beyond float4's range.");
	validate_finite(model->shift, n_features, sqlstate, "normalization shifts");
	validate_finite(model->scale, n_features, sqlstate, "normalization scales");
	for (i = 0; i < n_features; i++)
		if (model->scale[i] == 0.0)
			invalid(sqlstate, "A normalization scale is zero.");

	n_weights = nn_weight_count(layout);
	if (n_weights > BPNN_MAX_WEIGHTS)
		invalid(sqlstate, psprintf("A model has at most %d weights.", BPNN_MAX_WEIGHTS));
	validate_floats(model->weights, n_weights, sqlstate, "weights");

	if (t->source == NULL || t->label_column == NULL)
		invalid(sqlstate, "The training record lacks its source or label column.");
	validate_string(t->source, sqlstate, "source name", false);
	validate_string(t->label_column, sqlstate, "label column name", false);
	if (t->epochs < 0 || t->epochs > BPNN_MAX_EPOCHS || t->epochs_run < 0 ||
		t->epochs_run > t->epochs || t->batch_size < 0 || t->rows_used < 0 ||
		t->rows_skipped < 0 || t->n_epoch_loss != t->epochs_run ||
		t->optimizer >= FIT_OPTIMIZER_COUNT || !(t->weight_decay >= 0.0) ||
		!(t->validation_fraction >= 0.0 && t->validation_fraction < 1.0) ||
		t->patience < 1 || t->validation_rows < 0 || t->best_epoch < 0 ||
		t->best_epoch > t->epochs_run || !(t->validation_loss >= 0.0) ||
		t->workers < 0 || t->workers > BPNN_MAX_WORKERS)
		invalid(sqlstate, "The training record is inconsistent.");
	{
		double		numbers[8] = {t->learning_rate, t->momentum, t->init_range,
			t->final_loss, t->train_accuracy, t->seconds, t->weight_decay,
		t->validation_loss};

		validate_finite(numbers, 8, sqlstate, "training figures");
	}
	validate_finite(t->class_weights, n_classes, sqlstate, "class weights");
	for (i = 0; i < n_classes; i++)
		if (!(t->class_weights[i] > 0.0))
			invalid(sqlstate, "A class weight is not positive.");
	validate_finite(t->epoch_loss, t->n_epoch_loss, sqlstate, "epoch losses");
	if (model->state.present)
		validate_trainer_state(model, sqlstate);
	if (model->n_skipped < 0 || model->n_skipped > BPNN_MAX_SKIPPED)
		invalid(sqlstate, "The number of columns left out is inconsistent.");
	for (i = 0; i < model->n_skipped; i++)
	{
		validate_name(model->skipped_names[i], sqlstate, "column");
		validate_string(model->skipped_reasons[i], sqlstate, "reason", false);
	}
}

/* ---------- the task ---------- */

/* an error (22023) naming function if the model is not of the task it takes */
void
model_check_task(const BpnnModel *model, BpnnTask task, const char *function)
{
	if (model->task == task)
		return;
	if (task == BPNN_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s takes a classifier, and the model is a regressor", function),
				 errhint("Use bpnn_predict_value for a regressor's prediction.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s takes a regressor, and the model is a classifier", function),
			 errhint("Use bpnn_predict or bpnn_predict_proba for a classifier's prediction.")));
}

/* ---------- encode ---------- */

/* a string in the stored format: its length (uint32), then its bytes */
static void
send_string(StringInfo buf, const char *s)
{
	size_t		len = strlen(s);

	pq_sendint32(buf, (uint32) len);
	pq_sendbytes(buf, s, (int) len);
}

/* n float4 values in network byte order */
static void
send_floats(StringInfo buf, const float *values, Size n)
{
	Size		i;

	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		pq_sendfloat4(buf, values[i]);
	}
}

/* the stored form of a model, in network byte order, with its checksum */
struct varlena *
model_encode(const BpnnModel *model)
{
	const NnLayout *layout = &model->layout;
	const BpnnTrainingInfo *t = &model->training;
	Size		n_weights = nn_weight_count(layout);
	StringInfoData buf;
	uint64		checksum;
	int			i;

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	pq_sendbytes(&buf, BPNN_MAGIC, 4);
	pq_sendint16(&buf, BPNN_FORMAT_VERSION);
	pq_sendint16(&buf, 0);
	pq_sendint64(&buf, 0);		/* checksum, filled in below */

	pq_sendbyte(&buf, (uint8) layout->hidden_act);
	pq_sendbyte(&buf, (uint8) layout->output_act);
	pq_sendbyte(&buf, (uint8) model->normalization);
	pq_sendbyte(&buf, (uint8) layout->loss);
	pq_sendint16(&buf, (uint16) layout->n_layers);
	for (i = 0; i <= layout->n_layers; i++)
		pq_sendint32(&buf, (uint32) layout->sizes[i]);
	for (i = 0; i < model_n_features(model); i++)
		send_string(&buf, model->feature_names[i]);
	for (i = 0; i < model_n_classes(model); i++)
		send_string(&buf, model->class_names[i]);
	pq_sendint32(&buf, (uint32) model->n_columns);
	for (i = 0; i < model->n_columns; i++)
		send_string(&buf, model->column_names[i]);
	for (i = 0; i < model->n_columns; i++)
		pq_sendint32(&buf, (uint32) model->column_widths[i]);
	for (i = 0; i < model->n_columns; i++)
		pq_sendbyte(&buf, model->column_kinds[i]);
	for (i = 0; i < model->n_columns; i++)
	{
		int			j;

		if (model->column_kinds[i] == BPNN_COLUMN_CATEGORY)
			for (j = 0; j < model->column_widths[i]; j++)
				send_string(&buf, model->categories[i][j]);
	}
	pq_sendbyte(&buf, model->missing);
	for (i = 0; i < model_n_features(model); i++)
		pq_sendfloat8(&buf, model->impute[i]);
	for (i = 0; i < model_n_features(model); i++)
		pq_sendfloat8(&buf, model->shift[i]);
	for (i = 0; i < model_n_features(model); i++)
		pq_sendfloat8(&buf, model->scale[i]);
	send_floats(&buf, model->weights, n_weights);

	send_string(&buf, t->source);
	send_string(&buf, t->label_column);
	pq_sendint32(&buf, (uint32) t->epochs);
	pq_sendfloat8(&buf, t->learning_rate);
	pq_sendfloat8(&buf, t->momentum);
	pq_sendint32(&buf, (uint32) t->batch_size);
	pq_sendfloat8(&buf, t->init_range);
	pq_sendint64(&buf, t->seed);
	pq_sendbyte(&buf, t->optimizer);
	pq_sendfloat8(&buf, t->weight_decay);
	pq_sendfloat8(&buf, t->validation_fraction);
	pq_sendint32(&buf, (uint32) t->patience);
	for (i = 0; i < model_n_classes(model); i++)
		pq_sendfloat8(&buf, t->class_weights[i]);
	pq_sendint64(&buf, t->rows_used);
	pq_sendint64(&buf, t->validation_rows);
	pq_sendint64(&buf, t->rows_skipped);
	pq_sendint32(&buf, (uint32) t->epochs_run);
	pq_sendint32(&buf, (uint32) t->best_epoch);
	pq_sendfloat8(&buf, t->validation_loss);
	pq_sendfloat8(&buf, t->final_loss);
	pq_sendfloat8(&buf, t->train_accuracy);
	pq_sendfloat8(&buf, t->seconds);
	pq_sendint32(&buf, (uint32) t->n_epoch_loss);
	for (i = 0; i < t->n_epoch_loss; i++)
		pq_sendfloat8(&buf, t->epoch_loss[i]);
	pq_sendint32(&buf, (uint32) t->workers);
	pq_sendint32(&buf, (uint32) model->n_skipped);
	for (i = 0; i < model->n_skipped; i++)
	{
		send_string(&buf, model->skipped_names[i]);
		send_string(&buf, model->skipped_reasons[i]);
	}
	pq_sendbyte(&buf, model->task);
	if (model->task == BPNN_TASK_REGRESSION)
	{
		for (i = 0; i < model_n_classes(model); i++)
			pq_sendfloat8(&buf, model->target_shift[i]);
		for (i = 0; i < model_n_classes(model); i++)
			pq_sendfloat8(&buf, model->target_scale[i]);
	}
	pq_sendbyte(&buf, model->state.present ? 1 : 0);
	if (model->state.present)
	{
		pq_sendint64(&buf, model->state.step);
		pq_sendbyte(&buf, model->state.last ? 1 : 0);
		send_floats(&buf, model->state.first, n_weights);
		if (model->state.second)
			send_floats(&buf, model->state.second, n_weights);
		if (model->state.last)
			send_floats(&buf, model->state.last, n_weights);
	}

	checksum = pg_hton64(hash_bytes_extended((unsigned char *) buf.data + VARHDRSZ + BPNN_HEADER_SIZE,
											 buf.len - VARHDRSZ - BPNN_HEADER_SIZE, 0));
	memcpy(buf.data + VARHDRSZ + 8, &checksum, sizeof(checksum));
	SET_VARSIZE(buf.data, buf.len);
	return (struct varlena *) buf.data;
}

/* ---------- decode ---------- */

typedef struct Reader
{
	const uint8 *p;
	const uint8 *end;
	int			sqlstate;
} Reader;

/* an error unless bytes more are left to read */
static void
need(Reader *r, Size bytes, const char *what)
{
	if ((Size) (r->end - r->p) < bytes)
		invalid(r->sqlstate, psprintf("The value ends inside its %s.", what));
}

/* the next byte */
static uint8
read_u8(Reader *r, const char *what)
{
	need(r, 1, what);
	return *r->p++;
}

/* the next uint16, from network byte order */
static uint16
read_u16(Reader *r, const char *what)
{
	uint16		v;

	need(r, 2, what);
	memcpy(&v, r->p, 2);
	r->p += 2;
	return pg_ntoh16(v);
}

/* the next uint32, from network byte order */
static uint32
read_u32(Reader *r, const char *what)
{
	uint32		v;

	need(r, 4, what);
	memcpy(&v, r->p, 4);
	r->p += 4;
	return pg_ntoh32(v);
}

/* the next uint64, from network byte order */
static uint64
read_u64(Reader *r, const char *what)
{
	uint64		v;

	need(r, 8, what);
	memcpy(&v, r->p, 8);
	r->p += 8;
	return pg_ntoh64(v);
}

/* the next float8, from network byte order */
static double
read_f8(Reader *r, const char *what)
{
	uint64		bits = read_u64(r, what);
	double		v;

	memcpy(&v, &bits, 8);
	return v;
}

/* the next n float8 values */
static void
read_f8_array(Reader *r, double *out, Size n, const char *what)
{
	Size		i;

	need(r, n * 8, what);
	for (i = 0; i < n; i++)
		out[i] = read_f8(r, what);
}

/* n float4 values (the caller has bounded n by the bytes left) */
static float *
read_floats(Reader *r, Size n, const char *what)
{
	float	   *out;
	Size		i;

	need(r, n * 4, what);
	out = palloc(sizeof(float) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		uint32		bits;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		bits = read_u32(r, what);
		memcpy(&out[i], &bits, 4);
	}
	return out;
}

/* the next string, bounded by BPNN_MAX_NAME_BYTES */
static char *
read_string(Reader *r, const char *what)
{
	uint32		len = read_u32(r, what);
	char	   *s;

	if (len > BPNN_MAX_NAME_BYTES)
		invalid(r->sqlstate, psprintf("A %s is longer than %d bytes.", what,
									 BPNN_MAX_NAME_BYTES));
	need(r, len, what);
	if (memchr(r->p, '\0', len) != NULL)
		invalid(r->sqlstate, psprintf("A %s contains a zero byte.", what));
	s = palloc(len + 1);
	memcpy(s, r->p, len);
	s[len] = '\0';
	r->p += len;
	return s;
}

/* the next n strings (n bounded by the bytes left) */
static char **
read_strings(Reader *r, int n, const char *what)
{
	char	  **out;
	int			i;

	/* every string takes at least its 4-byte length: bound n by the input */
	need(r, (Size) n * 4, what);
	out = palloc(sizeof(char *) * n);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		out[i] = read_string(r, what);
	}
	return out;
}

/*
 * a model from its stored form, every version this bpnn reads, then
 * validated
 */
BpnnModel *
model_decode(const char *data, Size len, int sqlstate)
{
	Reader		r = {(const uint8 *) data, (const uint8 *) data + len, sqlstate};
	BpnnModel  *m = palloc0(sizeof(BpnnModel));
	BpnnTrainingInfo *t = &m->training;
	NnLayout   *layout = &m->layout;
	uint16		version;
	uint64		checksum;
	Size		n_weights;
	int			i;

	need(&r, BPNN_HEADER_SIZE, "header");
	if (memcmp(r.p, BPNN_MAGIC, 4) != 0)
		invalid(sqlstate, "The value does not start with the bpnn_model signature.");
	r.p += 4;
	version = read_u16(&r, "header");
	if (version < 1 || version > BPNN_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid bpnn_model value"),
				 errdetail("The model has format version %d; this bpnn reads versions 1 to %d.",
						   version, BPNN_FORMAT_VERSION),
				 version > BPNN_FORMAT_VERSION ?
				 errhint("The model was written by a newer version of bpnn.") : 0));
	if (read_u16(&r, "header") != 0)
		invalid(sqlstate, "A reserved header field is not zero.");
	checksum = read_u64(&r, "header");
	if (checksum != hash_bytes_extended(r.p, (int) (r.end - r.p), 0))
		invalid(sqlstate, "The checksum does not match the contents.");

	layout->hidden_act = (NnActivation) read_u8(&r, "layout");
	layout->output_act = (NnActivation) read_u8(&r, "layout");
	m->normalization = (NormMethod) read_u8(&r, "layout");
	layout->loss = (NnLoss) read_u8(&r, "layout");
	layout->n_layers = read_u16(&r, "layout");
	if (layout->n_layers < 1 || layout->n_layers > NN_MAX_LAYERS)
		invalid(sqlstate, psprintf("A model has 1 to %d weight layers, not %d.",
								  NN_MAX_LAYERS, layout->n_layers));
	for (i = 0; i <= layout->n_layers; i++)
	{
		uint32		size = read_u32(&r, "layout");

		if (size < 1 || size > BPNN_MAX_UNITS)
			invalid(sqlstate, psprintf("Layer %d has %u units; a layer has 1 to %d.",
									  i, size, BPNN_MAX_UNITS));
		layout->sizes[i] = (int) size;
	}
	/* 1 to BPNN_MAX_CLASSES outputs; model_validate checks them against the task */
	if (model_n_classes(m) > BPNN_MAX_CLASSES)
		invalid(sqlstate, psprintf("A model has at most %d outputs, not %d.",
								  BPNN_MAX_CLASSES, model_n_classes(m)));

	m->feature_names = read_strings(&r, model_n_features(m), "feature names");
	m->class_names = read_strings(&r, model_n_classes(m), "class names");
	{
		uint32		n_columns = read_u32(&r, "source columns");

		if (n_columns < 1 || n_columns > (uint32) model_n_features(m))
			invalid(sqlstate, "The number of source columns is inconsistent.");
		m->n_columns = (int) n_columns;
		m->column_names = read_strings(&r, m->n_columns, "source columns");
		need(&r, (Size) m->n_columns * 4, "source columns");
		m->column_widths = palloc(sizeof(int32) * m->n_columns);
		for (i = 0; i < m->n_columns; i++)
			m->column_widths[i] = (int32) read_u32(&r, "source columns");
		m->column_kinds = palloc(sizeof(uint8) * m->n_columns);
		for (i = 0; i < m->n_columns; i++)
			m->column_kinds[i] = read_u8(&r, "source columns");
		m->categories = palloc0(sizeof(char **) * m->n_columns);
		for (i = 0; i < m->n_columns; i++)
			if (m->column_kinds[i] == BPNN_COLUMN_CATEGORY)
			{
				if (m->column_widths[i] < 1 || m->column_widths[i] > BPNN_MAX_CATEGORIES)
					invalid(sqlstate, "A text column has too many values.");
				m->categories[i] = read_strings(&r, m->column_widths[i], "categories");
			}
		m->missing = read_u8(&r, "missing-value policy");
		m->impute = palloc(sizeof(double) * model_n_features(m));
		read_f8_array(&r, m->impute, model_n_features(m), "imputed values");
	}
	m->shift = palloc(sizeof(double) * model_n_features(m));
	m->scale = palloc(sizeof(double) * model_n_features(m));
	read_f8_array(&r, m->shift, model_n_features(m), "normalization");
	read_f8_array(&r, m->scale, model_n_features(m), "normalization");

	/* sizes are bounded above, so this product cannot overflow 64 bits */
	n_weights = nn_weight_count(layout);
	if (n_weights > (Size) (r.end - r.p) / 4)
		invalid(sqlstate, "The value ends inside its weights.");
	m->weights = read_floats(&r, n_weights, "weights");

	t->source = read_string(&r, "source name");
	t->label_column = read_string(&r, "label column name");
	t->epochs = (int32) read_u32(&r, "training record");
	t->learning_rate = read_f8(&r, "training record");
	t->momentum = read_f8(&r, "training record");
	t->batch_size = (int32) read_u32(&r, "training record");
	t->init_range = read_f8(&r, "training record");
	t->seed = (int64) read_u64(&r, "training record");
	t->optimizer = read_u8(&r, "training record");
	t->weight_decay = read_f8(&r, "training record");
	t->validation_fraction = read_f8(&r, "training record");
	t->patience = (int32) read_u32(&r, "training record");
	t->class_weights = palloc(sizeof(double) * model_n_classes(m));
	read_f8_array(&r, t->class_weights, model_n_classes(m), "class weights");
	t->rows_used = (int64) read_u64(&r, "training record");
	t->validation_rows = (int64) read_u64(&r, "training record");
	t->rows_skipped = (int64) read_u64(&r, "training record");
	t->epochs_run = (int32) read_u32(&r, "training record");
	t->best_epoch = (int32) read_u32(&r, "training record");
	t->validation_loss = read_f8(&r, "training record");
	t->final_loss = read_f8(&r, "training record");
	t->train_accuracy = read_f8(&r, "training record");
	t->seconds = read_f8(&r, "training record");
	t->n_epoch_loss = (int32) read_u32(&r, "training record");
	if (t->n_epoch_loss < 0 || t->n_epoch_loss > BPNN_MAX_EPOCHS)
		invalid(sqlstate, "The training record is inconsistent.");
	t->epoch_loss = palloc(sizeof(double) * (t->n_epoch_loss + 1));
	read_f8_array(&r, t->epoch_loss, t->n_epoch_loss, "epoch losses");
	t->workers = version >= 2 ? (int32) read_u32(&r, "training record") : 0;
	if (version >= 3)
	{
		uint32		n_skipped = read_u32(&r, "columns left out");

		if (n_skipped > BPNN_MAX_SKIPPED)
			invalid(sqlstate, "The number of columns left out is inconsistent.");
		m->n_skipped = (int) n_skipped;
		m->skipped_names = palloc(sizeof(char *) * (n_skipped + 1));
		m->skipped_reasons = palloc(sizeof(char *) * (n_skipped + 1));
		for (i = 0; i < m->n_skipped; i++)
		{
			m->skipped_names[i] = read_string(&r, "columns left out");
			m->skipped_reasons[i] = read_string(&r, "columns left out");
		}
	}
	if (version >= 4)
	{
		m->task = read_u8(&r, "task");
		if (m->task >= BPNN_TASK_COUNT)
			invalid(sqlstate, "The task is unknown.");
		if (m->task == BPNN_TASK_REGRESSION)
		{
			m->target_shift = palloc(sizeof(double) * model_n_classes(m));
			m->target_scale = palloc(sizeof(double) * model_n_classes(m));
			read_f8_array(&r, m->target_shift, model_n_classes(m), "target scaling");
			read_f8_array(&r, m->target_scale, model_n_classes(m), "target scaling");
		}
	}
	if (version >= 5)
	{
		uint8		present = read_u8(&r, "trainer's state");

		if (present > 1)
			invalid(sqlstate, "The trainer's state flag is neither 0 nor 1.");
		if (present)
		{
			uint8		has_last;

			m->state.present = true;
			m->state.step = (int64) read_u64(&r, "trainer's state");
			has_last = read_u8(&r, "trainer's state");
			if (has_last > 1)
				invalid(sqlstate, "The trainer's state flag is neither 0 nor 1.");
			/* read_floats bounds n_weights by the bytes left before allocating */
			m->state.first = read_floats(&r, n_weights, "trainer's state");
			if (t->optimizer == FIT_ADAM)
				m->state.second = read_floats(&r, n_weights, "trainer's state");
			if (has_last)
				m->state.last = read_floats(&r, n_weights, "trainer's state");
		}
	}
	if (r.p != r.end)
		invalid(sqlstate, "The value has bytes after its end.");

	model_validate(m, sqlstate);
	return m;
}

/* ---------- binary I/O of the type ---------- */

/* a model from its binary form: decoded and validated fully, then stored as is */
static struct varlena *
model_from_binary(const char *data, Size len)
{
	struct varlena *result;

	/* trust nothing: decode and validate fully before storing the bytes */
	(void) model_decode(data, len, ERRCODE_INVALID_BINARY_REPRESENTATION);
	result = palloc(len + VARHDRSZ);
	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), data, len);
	return result;
}

/* bpnn_model's receive function: the stored form, decoded and checked */
Datum
bpnn_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	struct varlena *result = model_from_binary(buf->data + buf->cursor, buf->len - buf->cursor);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(result);
}

/* the cast bytea -> bpnn_model: the binary form, read as recv reads it */
Datum
bpnn_model_from_bytea(PG_FUNCTION_ARGS)
{
	struct varlena *bytes = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));

	PG_RETURN_POINTER(model_from_binary(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes)));
}

/* bpnn_model's send function: the stored bytes as they are */
Datum
bpnn_model_send(PG_FUNCTION_ARGS)
{
	/* the stored bytes are already in network byte order */
	struct varlena *raw = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------- one row of inputs ---------- */

/*
 * one row of raw feature values as network inputs: rounded to float4, then
 * scaled
 */
void
model_normalize_features(const BpnnModel *m, const double *values, float *inputs)
{
	int			n = model_n_features(m);
	int			f;

	/*
	 * One branch-free pass in whole vectors (this runs for every row
	 * scored); only a bad value takes the second pass, which names it.  An
	 * out-of-range value is replaced by 0 before its float4 conversion,
	 * which would be undefined.
	 */
	if (nn_scale_row(values, m->shift, m->scale, n, inputs))
		return;
	for (f = 0; f < n; f++)
	{
		if (!isfinite(values[f]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d (\"%s\") is not finite", f + 1, m->feature_names[f])));
		if (fabs(values[f]) > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d (\"%s\") is out of range", f + 1, m->feature_names[f]),
					 errdetail("Models take values as float4, which ends near 3.4e38.")));
		if (!(fabs(((double) (float) values[f] - m->shift[f]) * m->scale[f]) <= FLT_MAX))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d (\"%s\") is out of range for the model", f + 1, m->feature_names[f]),
					 errdetail("Normalized with the model's scaler, it is beyond float4.")));
	}
}

/* ---------- per-query cache ---------- */

typedef struct ModelCacheEntry
{
	bool		valid;
	bool		external;		/* keyed by TOAST pointer, else by content */
	Oid			toastrelid;
	Oid			valueid;
	Size		len;
	uint64		checksum;
	char	   *bytes;			/* the stored bytes (content-keyed: to compare) */
	const void *last_seen;		/* the datum last found equal to them */
	bool		stable;			/* model_arg_stable */
	MemoryContext cxt;
	CachedModel cached;
} ModelCacheEntry;

/* length and checksum of a plain (detoasted) value, from its header */
static void
content_key(struct varlena *raw, Size *len, uint64 *checksum)
{
	*len = VARSIZE_ANY_EXHDR(raw);
	*checksum = 0;
	if (*len >= BPNN_HEADER_SIZE)
	{
		memcpy(checksum, VARDATA_ANY(raw) + 8, sizeof(uint64));
		*checksum = pg_ntoh64(*checksum);
	}
}

/*
 * Is the argument the same value for as long as fn_extra lives?  A Const
 * is.  An external Param is throughout one run of the executor, which is
 * as long as an aggregate's fn_extra lives (a cursor's parameters are
 * copied when it opens), but not for a plain function call: PL/pgSQL keeps
 * a simple expression's state, fn_extra included, for the whole
 * transaction and reads its variables as external Params, whose values
 * change between calls and may be palloc'd where the previous one was (a
 * model assigned after another one is freed).  An aggregate's transition
 * function sees its arguments through Params of the executor's own, so
 * its Aggref's are looked at.
 */
bool
model_arg_stable(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	Node	   *arg;

	if (aggref == NULL)
	{
		Node	   *expr = fcinfo->flinfo->fn_expr;
		List	   *args;

		if (expr == NULL || !IsA(expr, FuncExpr))
			return false;
		args = ((FuncExpr *) expr)->args;
		if (argno < 0 || argno >= list_length(args))
			return false;
		return IsA(list_nth(args, argno), Const);
	}
	/* the transition function's argument 0 is the state */
	if (argno < 1 || argno > list_length(aggref->args))
		return false;
	arg = (Node *) list_nth_node(TargetEntry, aggref->args, argno - 1)->expr;
	return IsA(arg, Const) ||
		(IsA(arg, Param) && ((Param *) arg)->paramkind == PARAM_EXTERN);
}

/* the model in argument argno, decoded once per query and cached in fn_extra */
CachedModel *
model_from_arg(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	ModelCacheEntry *entry = (ModelCacheEntry *) fcinfo->flinfo->fn_extra;
	bool		external = VARATT_IS_EXTERNAL_ONDISK(raw);
	struct varatt_external toast = {0};
	struct varlena *plain = NULL;
	Size		len = 0;
	uint64		checksum = 0;
	MemoryContext old;

	if (entry == NULL)
	{
		entry = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCacheEntry));
		entry->stable = model_arg_stable(fcinfo, argno);
		fcinfo->flinfo->fn_extra = entry;
	}

	if (external)
	{
		/* a stored model read row after row: the TOAST pointer names it */
		VARATT_EXTERNAL_GET_POINTER(toast, raw);
		if (entry->valid && entry->external &&
			entry->toastrelid == toast.va_toastrelid &&
			entry->valueid == toast.va_valueid)
			return &entry->cached;
	}
	else
	{
		plain = PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
		content_key(plain, &len, &checksum);
		/*
		 * The checksum is no proof of identity (hash_bytes_extended is not
		 * collision-resistant): compare the bytes, unless the argument is a
		 * constant and this is the very datum compared last time.  Only
		 * then can the same address not hold another value: a value
		 * computed per row, or a PL/pgSQL variable assigned again, may be
		 * palloc'd where the previous one was (model_arg_stable).
		 */
		if (entry->valid && !entry->external && entry->len == len &&
			entry->checksum == checksum &&
			((entry->stable && (const void *) plain == entry->last_seen) ||
			 memcmp(VARDATA_ANY(plain), entry->bytes, len) == 0))
		{
			entry->last_seen = plain;
			return &entry->cached;
		}
	}

	/* a miss: decode into a fresh context under fn_mcxt */
	entry->valid = false;
	if (entry->cxt)
		MemoryContextDelete(entry->cxt);
	entry->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
									   "bpnn model cache",
									   ALLOCSET_DEFAULT_SIZES);
	if (plain == NULL)
		plain = PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
	old = MemoryContextSwitchTo(entry->cxt);
	entry->cached.model = model_decode(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain),
									   ERRCODE_DATA_CORRUPTED);
	entry->cached.row = palloc(sizeof(double) * model_n_features(entry->cached.model));
	nn_scoring_bind(&entry->cached.ws, &entry->cached.model->layout, entry->cached.model->weights,
					palloc(sizeof(float) * nn_scoring_floats(&entry->cached.model->layout)));
	MemoryContextSwitchTo(old);

	entry->external = external;
	entry->toastrelid = toast.va_toastrelid;
	entry->valueid = toast.va_valueid;
	content_key(plain, &entry->len, &entry->checksum);
	entry->bytes = MemoryContextAlloc(entry->cxt, entry->len);
	memcpy(entry->bytes, VARDATA_ANY(plain), entry->len);
	entry->last_seen = external ? NULL : plain;
	entry->cached.bytes = entry->bytes;
	entry->cached.len = entry->len;
	entry->cached.checksum = entry->checksum;
	entry->cached.cxt = entry->cxt;
	entry->cached.extra = NULL;
	entry->cached.class_texts = NULL;
	entry->valid = true;
	return &entry->cached;
}
