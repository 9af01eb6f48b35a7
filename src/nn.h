/*
 * nn.h — the network math of bpnn: layout, forward pass, backward pass,
 * weight update, activations and the seeded random numbers.
 *
 * Plain C99 with no PostgreSQL headers, so the same code runs inside the
 * server and in the unit tests, the gradient check and the benchmarks
 * under test/.  Nothing here allocates: callers hand in the memory.
 *
 * Weights of layer l form a row-major matrix of (in + 1) rows by out
 * columns: row k < in holds the weights from input k, row in holds the
 * biases.  All weight layers are stored back to back in one float array.
 *
 * "Jiang 2020" in comments is the paper whose method this implements, cited
 * in README.md (Citation).
 */
#ifndef BPNN_NN_H
#define BPNN_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* at most this many hidden layers */
#define NN_MAX_HIDDEN 8
#define NN_MAX_LAYERS (NN_MAX_HIDDEN + 1)

/* values are stored in models: never renumber */
typedef enum NnActivation
{
	NN_ACT_BIPOLAR_SIGMOID = 0, /* 2 * sigmoid(u) - 1, the unit of Jiang 2020 */
	NN_ACT_TANH = 1,
	NN_ACT_SIGMOID = 2,
	NN_ACT_RELU = 3,
	NN_ACT_LINEAR = 4,			/* output layer of relu networks only */
	NN_ACT_SOFTMAX = 5			/* output layer of cross-entropy networks only */
} NnActivation;

#define NN_ACT_COUNT 6
#define NN_HIDDEN_ACT_COUNT 4	/* the ones allowed in hidden layers */

/* values are stored in models: never renumber */
typedef enum NnLoss
{
	NN_LOSS_SQUARED_ERROR = 0,	/* Jiang 2020: 1/2 sum (t - o)^2, +-1 targets */
	NN_LOSS_CROSS_ENTROPY = 1	/* softmax outputs, -log p(class) */
} NnLoss;

#define NN_LOSS_COUNT 2

typedef struct NnLayout
{
	int			n_layers;		/* weight layers: hidden layers + 1 */
	int			sizes[NN_MAX_LAYERS + 1];	/* sizes[0] inputs ... outputs */
	NnActivation hidden_act;
	NnActivation output_act;
	NnLoss		loss;
} NnLayout;

/* splitmix64: small, fast, and the same sequence on every platform */
typedef struct NnRng
{
	uint64_t	state;
} NnRng;

extern void nn_rng_seed(NnRng *rng, uint64_t seed);
/*
 * Seeded at the seed's hash: seeds one generator step apart (seed and
 * seed + 0x9E3779B97F4A7C15) give unrelated streams, where nn_rng_seed
 * gives the same stream shifted by one number
 */
extern void nn_rng_seed_hashed(NnRng *rng, uint64_t seed);
extern uint64_t nn_rng_next(NnRng *rng);
extern double nn_rng_uniform(NnRng *rng);	/* in [0, 1) */
extern void nn_rng_shuffle(int64_t *values, int64_t n, NnRng *rng);

/* the names of stored enums: value -> name (NULL if out of range), name -> value (-1) */
extern const char *nn_name_of(const char *const *names, int count, int value);
extern int	nn_value_of(const char *const *names, int count, const char *name);

extern const char *nn_activation_name(NnActivation act);
extern int	nn_activation_from_name(const char *name);	/* -1 if unknown */
extern const char *nn_loss_name(NnLoss loss);
extern int	nn_loss_from_name(const char *name);	/* -1 if unknown */
extern NnActivation nn_output_activation_for(NnActivation hidden, NnLoss loss);

/* the target values the output units are trained towards */
extern void nn_target_bounds(NnActivation output_act, float *lo, float *hi);

extern size_t nn_weight_count(const NnLayout *layout);
extern size_t nn_layer_offset(const NnLayout *layout, int layer);
extern int	nn_widest_layer(const NnLayout *layout);

/* weights uniform in [-range, range] */
extern void nn_init_weights(const NnLayout *layout, float *weights,
							double range, NnRng *rng);

/*
 * Per-batch scratch memory: activations and error signals of every layer
 * for up to max_rows rows.  nn_workspace_floats() says how many floats
 * nn_workspace_bind() needs.
 */
typedef struct NnWorkspace
{
	int			max_rows;
	float	   *act[NN_MAX_LAYERS + 1]; /* act[0] is the input batch */
	float	   *delta[NN_MAX_LAYERS + 1];	/* delta[l] pairs with act[l], l >= 1 */
	float	   *wt;				/* a transposed weight matrix (backward pass) */
	float	   *scoring_weights;	/* nn_scoring_bind's padded copy, or NULL */
	/*
	 * Regression: the targets of the rows in act[0] (rows x outputs), set by
	 * the caller with the rows; nn_backward and nn_batch_loss then take
	 * each output's error against its target and ignore labels.  NULL (as
	 * bound): classification, targets from the labels.
	 */
	const float *target;
	int32_t    *nonzero;		/* nn_forward_one's list of non-zero inputs */
	bool		scoring_wide;	/* nn_forward_one sums in 16-float vectors */
} NnWorkspace;

extern size_t nn_workspace_floats(const NnLayout *layout, int max_rows);
extern void nn_workspace_bind(NnWorkspace *ws, const NnLayout *layout,
							  int max_rows, float *memory);

/* the same for forward passes only (prediction): activations, no error signals */
extern size_t nn_forward_workspace_floats(const NnLayout *layout, int max_rows);
extern void nn_forward_workspace_bind(NnWorkspace *ws, const NnLayout *layout,
									  int max_rows, float *memory);

/*
 * Scoring one row at a time (bpnn_predict): a copy of the weights whose
 * every layer is padded with zero columns to a multiple of 16 outputs, so
 * that each output is computed in a full vector block, with activations
 * of the padded widths.  nn_scoring_floats() says how many floats
 * nn_scoring_bind() needs; it copies the weights there (they may change
 * afterwards without effect) and binds ws for nn_forward_one().
 */
extern size_t nn_scoring_floats(const NnLayout *layout);
extern void nn_scoring_bind(NnWorkspace *ws, const NnLayout *layout,
							const float *weights, float *memory);

/*
 * Forward pass of the one row in ws->act[0] with the weights bound by
 * nn_scoring_bind: ws->act[n_layers] holds its outputs, the same bits as
 * nn_forward gives the row.
 */
extern void nn_forward_one(const NnLayout *layout, NnWorkspace *ws);

/*
 * One row of raw values through the scaler, out = (float) (((double)
 * (float) value - shift) * scale), n at once; false (and 0 in its place)
 * when a value or its scaled value is not finite in float4
 */
extern bool nn_scale_row(const double *values, const double *shift,
						 const double *scale, int n, float *out);

/*
 * Forward pass of rows already placed in ws->act[0] (rows x sizes[0]).
 * Afterwards ws->act[n_layers] holds the outputs.
 */
extern void nn_forward(const NnLayout *layout, const float *weights,
					   NnWorkspace *ws, int rows);

/*
 * Backward pass after nn_forward: adds to grad (same shape as weights) the
 * error-signal products of this batch, i.e. Jiang 2020's
 * dV = X^T * dY and dW = Y^T * dO, which point downhill (they are minus the
 * gradient of the loss).  Each row counts class_weight[its class] times
 * (class_weight NULL: once).  Returns the batch's weighted loss: the sum
 * over rows of 1/2 sum_k (t_k - o_k)^2, or of -log p(class) for
 * cross-entropy.
 */
extern double nn_backward(const NnLayout *layout, const float *weights,
						  NnWorkspace *ws, int rows, const int32_t *labels,
						  const float *class_weight, float *grad);

/*
 * Loss (unweighted) and number of correct argmax predictions of a forward
 * pass; a label of -1 (unknown to the network) is always wrong and adds
 * no cross-entropy.  With ws->target: 1/2 sum_k (t_k - o_k)^2 and no
 * correct predictions.
 */
extern double nn_batch_loss(const NnLayout *layout, const NnWorkspace *ws,
							int rows, const int32_t *labels, int *correct);

/*
 * The update rule of Jiang 2020, per weight:
 *   w <- w + rate * g + momentum * rate * g_prev,    then g_prev <- g
 * where g = grad * scale - decay * w (scale = 1 / batch rows gives the
 * batch mean; decay is L2 weight decay, 0 in Jiang 2020).  grad is
 * cleared for the next batch.
 */
extern void nn_update(size_t count, float *weights, float *grad,
					  float *grad_prev, double scale, double rate,
					  double momentum, double decay);

/*
 * Adam (Kingma and Ba, 2015) on the same g: m and v are its moment
 * estimates, step the number of updates so far including this one.
 */
extern void nn_update_adam(size_t count, float *weights, float *grad,
						   float *m, float *v, long step, double scale,
						   double rate, double decay);

/* index of the largest output of one row */
extern int	nn_argmax(const float *outputs, int n);

/*
 * Probabilities from one row of outputs: softmax outputs as they are;
 * others (squared error) rescaled from their target range to [0, 1],
 * clipped to [NN_PROBA_FLOOR, 1], and normalized to sum to 1, so that no
 * class is exactly impossible or certain.
 */
#define NN_PROBA_FLOOR 1e-6
extern void nn_outputs_to_proba(NnActivation output_act, const float *outputs,
								int n, double *proba);

#endif							/* BPNN_NN_H */
