/*
 * sgd_state.h — the bpnn_train_state value: the transition state of the
 * training aggregate bpnn_train_epoch (src/sgd_aggregate.c).  It holds the
 * partial's own copy of the weights, its optimizer moments, its options,
 * counts, the model it started from, and (in memory only) a buffer of rows
 * waiting to be shuffled and trained on, with the shuffle's generator.
 *
 * Whoever reads a state with buffered rows next (the combine, final, output
 * or send function, in this process or another) trains on them first, so
 * the text and binary forms never hold a buffer.  They hold no OIDs or
 * pointers; the binary form is in network byte order, and the text form is
 * it in hexadecimal, so both are exact:
 *
 *   "BPSG" uint16 format_version uint16 reserved (0)
 *   uint8 optimizer uint8 0 uint16 0   uint64 model checksum   uint64 seed
 *   int64 rows  int64 skipped  int64 correct  int64 steps
 *   float8 loss  float8 learning_rate  float8 momentum  float8 weight_decay
 *   int32 batch_size  int32 features  uint32 weights
 *   float4 weights[w]  float4 moment1[w]  float4 moment2[w] (Adam only)
 *   uint32 model length  model bytes (the bpnn_model training started from)
 */
#ifndef BPNN_SGD_STATE_H
#define BPNN_SGD_STATE_H

#include "gradient_state.h"
#include "model.h"
#include "nn_fit.h"

/*
 * The in-memory format (2: a buffered row's label slot may hold a
 * regressor's standardized target; 3: a row has one slot per output of a
 * regressor, see targets); the binary and text forms hold no buffer, did
 * not change and stay version 1
 */
#define SGD_STATE_VERSION 3
#define SGD_STATE_WIRE_VERSION 1

/* the options every partial of one epoch must share */
typedef struct SgdOptions
{
	double		learning_rate;
	double		momentum;
	double		weight_decay;
	int32		batch_size;
	FitOptimizer optimizer;
	uint64		seed;
} SgdOptions;

typedef struct SgdState
{
	int32		vl_len_;		/* varlena header */
	uint16		version;
	uint8		optimizer;
	uint8		reserved;
	int32		n_weights;
	int32		n_features;
	int32		batch_size;
	int32		capacity;		/* rows the buffer holds; 0: none (compact) */
	int32		buffered;		/* rows waiting in the buffer */
	int32		model_len;		/* bytes of the starting model */
	int32		targets;		/* what the label slots hold: 0 a class id
								 * (int32) per row, k > 0 a regressor's k
								 * standardized targets (float4) per row
								 * (state_targets_of) */
	uint64		model_checksum; /* of the starting model: names it */
	uint64		seed;
	uint64		rng;			/* the shuffle's generator (in memory only) */
	int64		rows;			/* rows trained on */
	int64		skipped;		/* rows with a NULL label or feature */
	int64		correct;		/* rows the weights before their step predicted */
	int64		steps;			/* optimizer steps taken */
	double		loss;			/* summed class-weighted loss before each step */
	double		learning_rate;
	double		momentum;
	double		weight_decay;
	/*
	 * float weights[n_weights]; float moments[n_weights * (1 or 2)];
	 * model bytes; float rows[capacity][n_features]; int32 labels[capacity]
	 * (targets k > 0: float4 [capacity][k]);
	 * uint32 order[capacity]
	 */
} SgdState;

static inline int
sgd_moment_arrays(const SgdState *s)
{
	return s->optimizer == FIT_ADAM ? 2 : 1;
}

static inline float *
sgd_weights(SgdState *s)
{
	return (float *) ((char *) s + MAXALIGN(sizeof(SgdState)));
}

static inline float *
sgd_moment(SgdState *s, int which)
{
	return sgd_weights(s) + (Size) s->n_weights * (1 + which);
}

static inline char *
sgd_model_bytes(SgdState *s)
{
	return (char *) s + MAXALIGN(sizeof(SgdState)) +
		MAXALIGN(sizeof(float) * (Size) s->n_weights * (1 + sgd_moment_arrays(s)));
}

static inline float *
sgd_buffer(SgdState *s)
{
	return (float *) (sgd_model_bytes(s) + MAXALIGN(s->model_len));
}

static inline int32 *
sgd_labels(SgdState *s)
{
	return (int32 *) (sgd_buffer(s) + (Size) s->capacity * s->n_features);
}

static inline float *
sgd_targets(SgdState *s)
{
	return (float *) sgd_labels(s);
}

static inline uint32 *
sgd_order(SgdState *s)
{
	return (uint32 *) (sgd_labels(s) + (Size) s->capacity * Max(s->targets, 1));
}

/*
 * bytes a buffered row takes: its inputs, its label (a class id, or its
 * targets) and its place in the shuffle
 */
#define SGD_ROW_BYTES(n_features, targets) \
	(sizeof(float) * (Size) (n_features) + 4 * (Size) Max((targets), 1) + 4)

/* a state for model cm, starting from its weights, with room for capacity rows */
extern SgdState *sgd_state_create(const CachedModel *cm, const SgdOptions *options,
								  int32 capacity);

/* check that a state handed to a support function is whole (cheap: no model decode) */
extern void sgd_state_check(const SgdState *s);

/* does the state carry these options? */
extern bool sgd_state_options_match(const SgdState *s, const SgdOptions *options);

/* per-model scratch for training a state's buffer */
typedef struct SgdScratch
{
	const BpnnModel *model;
	FitStepper	stepper;
	FitHooks	hooks;
	float	   *class_weight;	/* the model's training class weights */
} SgdScratch;

/* scratch for m, allocated in the current memory context */
extern void sgd_scratch_init(SgdScratch *sc, const BpnnModel *m);

/*
 * Shuffle the buffered rows and train on them, batch after batch: on every
 * row (all), or on a random half of them, the rest kept in the buffer
 */
extern void sgd_state_train_buffer(SgdState *s, SgdScratch *sc, bool all);

/* the state without buffer (trained first), in the current memory context */
extern SgdState *sgd_state_compact(SgdState *s);

/* the row-weighted average of two compact states of one model and options */
extern SgdState *sgd_state_average(SgdState *a, SgdState *b);

/* the starting model with the state's weights and what the epoch saw */
extern BpnnModel *sgd_state_model(SgdState *s);

/*
 * A value of the in-memory format 1 (0.3.0, stored in a table) in format 2,
 * else s itself; sgd_state_check still judges the result
 */
extern SgdState *sgd_state_upgrade(SgdState *s);

#define PG_GETARG_SGD_STATE(n) sgd_state_upgrade((SgdState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

#endif							/* BPNN_SGD_STATE_H */
