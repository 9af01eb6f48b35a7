/*
 * model.h — the bpnn_model value: its decoded form, its stored (binary)
 * format, the one validator every entry point uses, and the per-query
 * cache of decoded models.
 *
 * Stored format, version 2, all integers and floats in network byte order
 * (so the binary send format is the stored bytes themselves):
 *
 *   header:  "BPNN"  uint16 format_version  uint16 reserved (0)
 *            uint64 checksum of the body (hash_bytes_extended, seed 0)
 *   body:    uint8 hidden activation, uint8 output activation,
 *            uint8 normalization, uint8 loss
 *            uint16 weight layers, uint32 sizes[layers + 1]
 *            feature names, class names (uint32 length + bytes each)
 *            uint32 source columns, their names, uint32 widths[columns],
 *            uint8 kinds[columns], the values of each category column
 *            uint8 missing, float8 impute[features]
 *            float8 shift[features], float8 scale[features]
 *            float4 weights[...]            (layer after layer, see nn.h)
 *            training record (see BpnnTrainingInfo and model.c)
 *            version 2 on: int32 workers (parallel workers planned; 0 when
 *            read from version 1)
 *            version 3 on: uint32 columns left out by the default choice of
 *            features, then name and reason of each (none when read from
 *            earlier versions)
 *            version 4 on: uint8 task (BpnnTask; classification when read
 *            from earlier versions), and for a regressor float8
 *            target_shift[outputs], float8 target_scale[outputs]
 *            version 5 on: uint8 1 when the trainer's state follows (see
 *            BpnnTrainerState), else 0: int64 step, uint8 1 when the last
 *            epoch's weights follow, float4 first[weights], Adam's
 *            float4 second[weights], then float4 last[weights] if said
 *
 * A later format bumps format_version; model_decode() keeps reading every
 * earlier version (upgrade on read, as hstore does).
 */
#ifndef BPNN_MODEL_H
#define BPNN_MODEL_H

#include "fmgr.h"
#include "port/pg_bswap.h"

#include "nn.h"
#include "nn_normalize.h"

#define BPNN_FORMAT_VERSION 5
#define BPNN_HEADER_SIZE 16

/* bounds any valid model respects; input beyond them is rejected */
#define BPNN_MAX_UNITS 1000000	/* inputs or units in one layer */
#define BPNN_MAX_CLASSES 100000
#define BPNN_MAX_NAME_BYTES 10000
#define BPNN_MAX_EPOCHS 1000000
#define BPNN_MAX_CATEGORIES 1000	/* distinct values of a one-hot column */
/* the text form (JSON, parsed as jsonb: 256 MB per array) must hold every model */
#define BPNN_MAX_WEIGHTS 10000000
#define BPNN_MAX_WORKERS 1024	/* parallel workers, as max_parallel_maintenance_workers */
#define BPNN_MAX_SKIPPED 1664	/* columns left out: MaxTupleAttributeNumber, a view's most */

/* how a source column becomes inputs; stored in models: never renumber */
typedef enum BpnnColumnKind
{
	BPNN_COLUMN_NUMBER = 0,		/* one input */
	BPNN_COLUMN_ARRAY = 1,		/* one input per element */
	BPNN_COLUMN_CATEGORY = 2	/* text-like: one-hot, an input per value */
} BpnnColumnKind;

#define BPNN_COLUMN_KIND_COUNT 3

/* what NULL features do; stored in models: never renumber */
typedef enum BpnnMissing
{
	BPNN_MISSING_SKIP = 0,		/* the row is skipped (predict: NULL) */
	BPNN_MISSING_IMPUTE = 1		/* numbers: the training mean; categories: none */
} BpnnMissing;

/* what a model predicts; stored in models: never renumber */
typedef enum BpnnTask
{
	BPNN_TASK_CLASSIFICATION = 0,	/* a class per output unit */
	BPNN_TASK_REGRESSION = 1	/* a number per output unit: linear outputs,
								 * squared error, standardized targets */
} BpnnTask;

#define BPNN_TASK_COUNT 2

typedef struct BpnnTrainingInfo
{
	char	   *source;			/* the relation, as it was named */
	char	   *label_column;
	int32		epochs;
	double		learning_rate;
	double		momentum;
	int32		batch_size;
	double		init_range;
	int64		seed;
	uint8		optimizer;		/* FitOptimizer */
	double		weight_decay;
	double		validation_fraction;	/* 0: no early stopping */
	int32		patience;
	double	   *class_weights;	/* one per class, 1 when not weighted */
	int64		rows_used;		/* rows trained on */
	int64		validation_rows;	/* rows held out for early stopping */
	int64		rows_skipped;
	int32		epochs_run;
	int32		best_epoch;		/* early stopping: the epoch kept, else 0 */
	double		validation_loss;	/* early stopping: its loss, else 0 */
	double		final_loss;
	double		train_accuracy;
	double		seconds;
	int32		workers;		/* parallel workers planned (the leader besides) */
	int32		n_epoch_loss;
	double	   *epoch_loss;
} BpnnTrainingInfo;

/*
 * What continuing training (a warm start, warm_start.c) needs beyond the
 * weights: the optimizer's state and, where early stopping kept an earlier
 * epoch's weights, the last epoch's.  Optional (format 5 on, training with
 * keep_state => true): it adds the weights' size once (momentum) or twice
 * (Adam), once more with last weights; bpnn_drop_state removes it.
 */
typedef struct BpnnTrainerState
{
	bool		present;
	int64		step;			/* Adam: updates taken (momentum: 0) */
	float	   *first;			/* momentum: the previous step; Adam: the
								 * first moment */
	float	   *second;			/* Adam: the second moment, else NULL */
	float	   *last;			/* the weights after the last epoch when
								 * early stopping kept an earlier epoch's,
								 * else NULL */
} BpnnTrainerState;

typedef struct BpnnModel
{
	NnLayout	layout;			/* sizes[0] = features, last = classes (a
								 * regressor: its outputs) */
	NormMethod	normalization;
	char	  **feature_names;	/* one per input; array elements as "col[i]" */
	char	  **class_names;	/* a regressor: its outputs' names */
	int			n_columns;		/* the source columns the inputs come from */
	char	  **column_names;
	int32	   *column_widths;	/* 1 for a number, the length for an array,
								 * the number of values for a category */
	uint8	   *column_kinds;	/* BpnnColumnKind */
	char	 ***categories;		/* per column: its values (category columns) */
	int			n_skipped;		/* the columns training left out, and why */
	char	  **skipped_names;
	char	  **skipped_reasons;
	uint8		missing;		/* BpnnMissing */
	double	   *impute;			/* per feature: the raw value a NULL becomes */
	double	   *shift;			/* x' = (x - shift) * scale, per feature */
	double	   *scale;
	float	   *weights;		/* nn_weight_count(&layout) floats */
	uint8		task;			/* BpnnTask */
	double	   *target_shift;	/* regression, per output: the prediction is */
	double	   *target_scale;	/* output * target_scale + target_shift */
	BpnnTrainingInfo training;
	BpnnTrainerState state;		/* format 5 on, optional */
} BpnnModel;

static inline int
model_n_features(const BpnnModel *m)
{
	return m->layout.sizes[0];
}

static inline int
model_n_classes(const BpnnModel *m)
{
	return m->layout.sizes[m->layout.n_layers];
}

/*
 * Check everything a decoded model must satisfy; on failure ereport with
 * sqlstate (ERRCODE_DATA_CORRUPTED for stored values, the input errcodes
 * for text and binary input).
 */
extern void model_validate(const BpnnModel *model, int sqlstate);

/*
 * A function that takes a classifier (task BPNN_TASK_CLASSIFICATION) or a
 * regressor only: an error (22023) naming it, for a model of the other task
 */
extern void model_check_task(const BpnnModel *model, BpnnTask task, const char *function);

/* the stored bytes of a model, as a varlena; computes the checksum */
extern struct varlena *model_encode(const BpnnModel *model);

/* decode and validate stored bytes (VARDATA of a detoasted value) */
extern BpnnModel *model_decode(const char *data, Size len, int sqlstate);

/*
 * One row of raw feature values (the model's feature order) as network
 * inputs: rounded to float4 as training does, then normalized.  Errors on a
 * non-finite or out-of-range value.
 */
extern void model_normalize_features(const BpnnModel *model, const double *values,
									 float *inputs);

/* the checksum stored bytes name themselves by (their header's; 0 if too short) */
static inline uint64
model_stored_checksum(const char *bytes, Size len)
{
	uint64		checksum;

	if (len < BPNN_HEADER_SIZE)
		return 0;
	memcpy(&checksum, bytes + 8, sizeof(checksum));
	return pg_ntoh64(checksum);
}

/* a decoded model with scratch space for one-row forward passes (no backward) */
typedef struct CachedModel
{
	BpnnModel  *model;
	NnWorkspace ws;
	double	   *row;			/* room for one row of raw features */
	const char *bytes;			/* its stored bytes (VARDATA of the value) */
	Size		len;
	uint64		checksum;		/* from its header: names the model */
	MemoryContext cxt;			/* lives as long as this entry */
	void	   *extra;			/* a caller's own per-model data, in cxt */
	struct varlena **class_texts;	/* bpnn_predict's class names as text, made
									 * once (in cxt), or NULL */
} CachedModel;

/*
 * The model in argument argno, decoded once per query: it is cached in
 * fn_extra (keyed by the TOAST pointer, or by length and checksum) and
 * lives in fn_mcxt.  Callers must not modify the model; they may hang data
 * of their own on extra (allocated in cxt), which a new model discards.
 */
extern CachedModel *model_from_arg(FunctionCallInfo fcinfo, int argno);

/*
 * Is argument argno the same value for as long as fn_extra lives: a Const,
 * or for an aggregate's transition function also an external Param (its
 * Aggref's argument argno - 1 is looked at)?  Not a plain function's
 * external Param: PL/pgSQL reuses fn_extra across assignments of the
 * variable it reads.
 */
extern bool model_arg_stable(FunctionCallInfo fcinfo, int argno);

/*
 * Decoded models kept for an aggregate's transition function across rows
 * even where fn_extra does not last (Citus's worker_partial_agg makes a new
 * FmgrInfo for every row): the last KEPT_MODELS models seen, each in a
 * memory context under TopTransactionContext, so that they live through
 * the statement and are freed with the transaction (model_cache.c).
 */
#define KEPT_MODELS 4

typedef struct KeptEntry
{
	MemoryContext cxt;			/* NULL: empty */
	uint64		generation;		/* which decode it holds */
	uint64		last_used;
	CachedModel cm;
} KeptEntry;

typedef struct KeptModel
{
	const char *name;			/* of the entries' memory contexts */
	KeptEntry	entries[KEPT_MODELS];
} KeptModel;

#define KEPT_MODEL_INIT(name) {(name)}

/*
 * The model in argument argno, from the KeptModel when its bytes are a
 * kept model's (compared in full, unless this call site verified the very
 * same datum before), else decoded (and validated) into it, replacing the
 * least recently used.  cm->extra is NULL after a new decode.
 */
extern CachedModel *model_from_arg_kept(FunctionCallInfo fcinfo, int argno, KeptModel *kept);

#endif							/* BPNN_MODEL_H */
