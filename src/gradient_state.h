/*
 * gradient_state.h — the bpnn_state value: the running sums of the
 * bpnn_gradient aggregate (rows, loss, correct predictions and the
 * error-signal sums of every weight) for one model, named by the model's
 * checksum.
 *
 * In memory (the aggregate's transition value) a state may also carry a
 * copy of its model and a buffer of rows not yet pushed through the network:
 * rows are summed a chunk at a time, and whoever reads the state next (the
 * combine, final, output or send function, in this process or another)
 * finishes the buffered rows with the model it carries.  The text and binary
 * forms never hold a model or a buffer; they hold no OIDs or pointers, and
 * the binary form is in network byte order:
 *
 *   "BPGS"  uint16 format_version  uint16 reserved (0)
 *   uint64 model checksum   int64 rows   int64 skipped   int64 correct
 *   float8 loss   uint32 weights   float8 sums[weights]
 *
 * sums[] are the batch error products of Jiang 2020 summed over the rows
 * (dV = X^T dY, dW = Y^T dO: minus the loss gradient); bpnn_state_gradient()
 * returns the mean loss gradient, -sums / rows.
 */
#ifndef BPNN_GRADIENT_STATE_H
#define BPNN_GRADIENT_STATE_H

#include "model.h"

/*
 * The in-memory format (2: a buffered row's label slot may hold a
 * regressor's standardized target; 3: a row has one slot per output of a
 * regressor, see targets); the binary and text forms hold no buffer, did
 * not change and stay version 1
 */
#define BPNN_STATE_VERSION 3
#define BPNN_STATE_WIRE_VERSION 1

/* rows buffered before a chunk goes through the network */
#define BPNN_STATE_CHUNK_ROWS 128

typedef struct BpnnState
{
	int32		vl_len_;		/* varlena header */
	uint16		version;
	uint16		reserved;
	int32		n_weights;
	int32		n_features;		/* raw inputs per buffered row */
	int32		buffered;		/* rows waiting in the buffer */
	int32		capacity;		/* rows the buffer holds; 0: no buffer */
	int32		model_len;		/* bytes of the model copy; 0: none */
	int32		targets;		/* what the label slots hold: 0 a class id
								 * (int32) per row, k > 0 a regressor's k
								 * standardized targets (float4) per row;
								 * 0 without a buffer */
	uint64		model_checksum;
	int64		rows;			/* rows summed (not counting the buffer) */
	int64		skipped;		/* rows with a NULL feature or label */
	int64		correct;		/* of the rows summed: argmax == label */
	double		loss;			/* summed (class-weighted) loss */
	/*
	 * double sums[n_weights]; model bytes; float rows[capacity][n_features];
	 * int32 labels[capacity] (targets k > 0: float4 [capacity][k])
	 */
} BpnnState;

static inline double *
gradient_state_sums(BpnnState *s)
{
	return (double *) ((char *) s + MAXALIGN(sizeof(BpnnState)));
}

static inline char *
gradient_state_model_bytes(BpnnState *s)
{
	return (char *) (gradient_state_sums(s) + s->n_weights);
}

static inline float *
gradient_state_buffer(BpnnState *s)
{
	return (float *) (gradient_state_model_bytes(s) + MAXALIGN(s->model_len));
}

static inline int32 *
gradient_state_labels(BpnnState *s)
{
	return (int32 *) (gradient_state_buffer(s) + (Size) s->capacity * s->n_features);
}

/* the label slots as a regressor's targets (state->targets per row) */
static inline float *
gradient_state_targets(BpnnState *s)
{
	return (float *) gradient_state_labels(s);
}

/* the label slots of a row of m's in a buffer: 0 a class id, else its outputs */
static inline int32
state_targets_of(const BpnnModel *m)
{
	return m->task == BPNN_TASK_REGRESSION ? (int32) model_n_classes(m) : 0;
}

/* a zeroed state for a model; with_buffer: room for the model and a chunk of rows */
extern BpnnState *gradient_state_create(const CachedModel *cm, bool with_buffer);

/* what summing a chunk of rows takes: the model and scratch space */
typedef struct StateScratch
{
	const BpnnModel *model;
	NnWorkspace ws;
	float	   *grad;			/* one chunk's error products, zero between chunks */
	float	   *class_weight;	/* the model's training class weights */
} StateScratch;

/* scratch for m, allocated in the current memory context */
extern void gradient_state_scratch_init(StateScratch *sc, const BpnnModel *m);

/* push the buffered rows through sc->model and add them to the sums */
extern void gradient_state_sum_buffer(BpnnState *s, StateScratch *sc);

/* the same with the model copy the state carries (decoded for the purpose) */
extern void gradient_state_flush(BpnnState *s);

/* the state without model or buffer (flushed first), in the current context */
extern BpnnState *gradient_state_compact(BpnnState *s);

/* a state of the same model that adds b to a (both compact) */
extern BpnnState *gradient_state_add(const BpnnState *a, const BpnnState *b);

/* text forms that are a binary form in hexadecimal (bpnn_state, bpnn_train_state) */
extern char *gradient_state_hex_out(bytea *bytes);
extern char *gradient_state_hex_in(const char *text, const char *type_name, int *len);

/* s if its fields are consistent with its size and format, else an error */
extern BpnnState *gradient_state_check(BpnnState *s);

/* the state in argument argno, detoasted and checked */
#define PG_GETARG_BPNN_STATE(n) gradient_state_check((BpnnState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

#endif							/* BPNN_GRADIENT_STATE_H */
