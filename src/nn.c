/*
 * nn.c — the network math of bpnn (see nn.h): activations, forward and
 * backward passes over a batch, the one-row scoring path (its scaler
 * included), the momentum update and seeded random numbers.  Plain C, no
 * PostgreSQL calls: the hot loops live here only.
 *
 * The loops are written so the compiler can vectorize the innermost one
 * (contiguous rows of the weight matrices).
 */
#include "nn.h"
#include "nn_gemm.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

static const char *const activation_names[NN_ACT_COUNT] = {
	"bipolar_sigmoid", "tanh", "sigmoid", "relu", "linear", "softmax"
};

static const char *const loss_names[NN_LOSS_COUNT] = {
	"squared_error", "cross_entropy"
};

/* seed the generator (splitmix64) with seed as its state */
void
nn_rng_seed(NnRng *rng, uint64_t seed)
{
	rng->state = seed;
}

/*
 * seed the generator at seed's hash, so that nearby seeds give unrelated
 * streams
 */
void
nn_rng_seed_hashed(NnRng *rng, uint64_t seed)
{
	rng->state = seed;
	rng->state = nn_rng_next(rng);
}

/* the next 64 random bits (splitmix64) */
uint64_t
nn_rng_next(NnRng *rng)
{
	uint64_t	z = (rng->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* a uniform double in [0, 1) */
double
nn_rng_uniform(NnRng *rng)
{
	/* the top 53 bits make an exactly representable double in [0, 1) */
	return (double) (nn_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* a seeded Fisher-Yates shuffle of n values */
void
nn_rng_shuffle(int64_t *values, int64_t n, NnRng *rng)
{
	int64_t		i;

	/* Fisher-Yates, from the end */
	for (i = n - 1; i > 0; i--)
	{
		int64_t		j = (int64_t) (nn_rng_uniform(rng) * (double) (i + 1));
		int64_t		t = values[i];

		values[i] = values[j];
		values[j] = t;
	}
}

/* names[value], or NULL when value is out of range */
const char *
nn_name_of(const char *const *names, int count, int value)
{
	return value >= 0 && value < count ? names[value] : NULL;
}

/* the position of name in names, or -1 */
int
nn_value_of(const char *const *names, int count, const char *name)
{
	int			i;

	for (i = 0; i < count; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

/* the name of an activation */
const char *
nn_activation_name(NnActivation act)
{
	return nn_name_of(activation_names, NN_ACT_COUNT, (int) act);
}

/* the activation of a name, or -1 */
int
nn_activation_from_name(const char *name)
{
	return nn_value_of(activation_names, NN_ACT_COUNT, name);
}

/* the name of a loss */
const char *
nn_loss_name(NnLoss loss)
{
	return nn_name_of(loss_names, NN_LOSS_COUNT, (int) loss);
}

/* the loss of a name, or -1 */
int
nn_loss_from_name(const char *name)
{
	return nn_value_of(loss_names, NN_LOSS_COUNT, name);
}

/* the output layer's activation for a hidden activation and a loss */
NnActivation
nn_output_activation_for(NnActivation hidden, NnLoss loss)
{
	if (loss == NN_LOSS_CROSS_ENTROPY)
		return NN_ACT_SOFTMAX;
	/* a relu output could never reach the lower target: use a linear one */
	return hidden == NN_ACT_RELU ? NN_ACT_LINEAR : hidden;
}

/* the target values the output units are trained towards */
void
nn_target_bounds(NnActivation output_act, float *lo, float *hi)
{
	*lo = output_act == NN_ACT_SIGMOID || output_act == NN_ACT_SOFTMAX ? 0.0f : -1.0f;
	*hi = 1.0f;
}

/* where layer's weights start in the weight array */
size_t
nn_layer_offset(const NnLayout *layout, int layer)
{
	size_t		offset = 0;
	int			l;

	for (l = 0; l < layer; l++)
		offset += (size_t) (layout->sizes[l] + 1) * layout->sizes[l + 1];
	return offset;
}

/* how many weights (biases included) the network has */
size_t
nn_weight_count(const NnLayout *layout)
{
	return nn_layer_offset(layout, layout->n_layers);
}

/* the most units of any layer, inputs included */
int
nn_widest_layer(const NnLayout *layout)
{
	int			widest = 0;
	int			l;

	for (l = 0; l <= layout->n_layers; l++)
		if (layout->sizes[l] > widest)
			widest = layout->sizes[l];
	return widest;
}

/* weights uniform in [-range, range], from rng */
void
nn_init_weights(const NnLayout *layout, float *weights, double range,
				NnRng *rng)
{
	size_t		count = nn_weight_count(layout);
	size_t		i;

	for (i = 0; i < count; i++)
		weights[i] = (float) ((2.0 * nn_rng_uniform(rng) - 1.0) * range);
}

/* the largest weight matrix whose transpose the backward pass needs */
static size_t
transpose_floats(const NnLayout *layout)
{
	size_t		most = 0;
	int			l;

	for (l = 1; l < layout->n_layers; l++)
		if ((size_t) layout->sizes[l] * layout->sizes[l + 1] > most)
			most = (size_t) layout->sizes[l] * layout->sizes[l + 1];
	return most;
}

/* the floats a training workspace of max_rows rows needs */
size_t
nn_workspace_floats(const NnLayout *layout, int max_rows)
{
	size_t		total = transpose_floats(layout);
	int			l;

	for (l = 0; l <= layout->n_layers; l++)
		total += (size_t) max_rows * layout->sizes[l] * (l == 0 ? 1 : 2);
	return total;
}

/* lay a training workspace of max_rows rows out in memory */
void
nn_workspace_bind(NnWorkspace *ws, const NnLayout *layout, int max_rows,
				  float *memory)
{
	int			l;

	/* the activations first, as for forward passes, then the error signals */
	nn_forward_workspace_bind(ws, layout, max_rows, memory);
	memory += nn_forward_workspace_floats(layout, max_rows);
	for (l = 1; l <= layout->n_layers; l++)
	{
		ws->delta[l] = memory;
		memory += (size_t) max_rows * layout->sizes[l];
	}
	ws->wt = memory;
}

/* the floats a forward-only workspace of max_rows rows needs */
size_t
nn_forward_workspace_floats(const NnLayout *layout, int max_rows)
{
	size_t		total = 0;
	int			l;

	for (l = 0; l <= layout->n_layers; l++)
		total += (size_t) max_rows * layout->sizes[l];
	return total;
}

/* lay a forward-only workspace (activations, no error signals) out in memory */
void
nn_forward_workspace_bind(NnWorkspace *ws, const NnLayout *layout, int max_rows,
						  float *memory)
{
	int			l;

	memset(ws, 0, sizeof(*ws));
	ws->max_rows = max_rows;
	for (l = 0; l <= layout->n_layers; l++)
	{
		ws->act[l] = memory;
		memory += (size_t) max_rows * layout->sizes[l];
	}
}

/*
 * The hot loops are compiled for AVX-512 and AVX2 as well as the baseline,
 * chosen at load time (as pgvector does), so one binary stays portable.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(BPNN_NO_CLONES)
#define NN_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NN_KERNEL
#endif

/*
 * exp(x) without a library call, so loops over it vectorize: x = n ln2 + r
 * with |r| <= ln2 / 2, e^r from its Taylor polynomial to degree 7 (relative
 * error below 3e-7 in float), 2^n put straight into the exponent bits.
 */
static inline float
vec_expf(float x)
{
	const float round_magic = 12582912.0f;	/* 1.5 * 2^23: rounds to nearest */
	float		n,
				r,
				p;
	int32_t		bits;
	union
	{
		int32_t		i;
		float		f;
	}			scale;

	/* written so that NaN (an overflowed sum) clamps too: no NaN reaches the int cast */
	x = x > -87.0f ? x : -87.0f;
	x = x < 88.0f ? x : 88.0f;
	n = (x * 1.44269504f + round_magic) - round_magic;
	r = x - n * 0.693145752f;	/* ln 2 split in two for an exact product */
	r = r - n * 1.42860677e-06f;
	p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 +
						r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
	bits = ((int32_t) n + 127) << 23;
	scale.i = bits;
	return p * scale.f;
}

/* tanh(x) = sign(x) (1 - 2 / (e^2|x| + 1)): absolute error below 2e-7 */
static inline float
vec_tanhf(float x)
{
	float		a = x < 0.0f ? -x : x;
	float		t = 1.0f - 2.0f / (vec_expf(2.0f * a) + 1.0f);

	return x < 0.0f ? -t : t;
}

/*
 * The maximum of a row of n values as the loop top = o[0]; top = o[j] > top
 * ? o[j] : top gives it, in one vector pass.  Without NaN the maximum is
 * one value whatever the order, but for the sign of a zero, which the
 * softmax cannot see (o - 0 and o - -0 are o; e^0 and e^-0 are 1): so it
 * is taken over integer keys ordered as the floats are (vectorizes without
 * -ffast-math), and a row with a NaN, whose result the order decides, goes
 * through the loop above.
 */
static inline __attribute__((always_inline)) float
row_maximum(const float *o, int n)
{
	int32_t		best = INT32_MIN;
	uint32_t	nan = 0;
	float		top;
	int			j;

	for (j = 0; j < n; j++)
	{
		int32_t		b;

		memcpy(&b, &o[j], sizeof(b));
		/* NaN: exponent all ones, a mantissa not 0 */
		nan |= (uint32_t) ((b & 0x7fffffff) > 0x7f800000);
		/* negative floats order backwards: flip all but their sign bit */
		b ^= (b >> 31) & 0x7fffffff;
		best = b > best ? b : best;
	}
	if (nan)
	{
		top = o[0];
		for (j = 1; j < n; j++)
			top = o[j] > top ? o[j] : top;
		return top;
	}
	best ^= (best >> 31) & 0x7fffffff;
	memcpy(&top, &best, sizeof(top));
	return top;
}

/* rows of a softmax whose maxima and sums go side by side */
#define SOFTMAX_GROUP 8

/*
 * softmax of `group` rows of n values from o, shifted by each row's maximum
 * for range.  Each row's maximum in a vector pass (row_maximum); the rows'
 * sums go side by side, so their additions do not wait on each other, and
 * the exponentials of all the rows run as one vector loop; each row still
 * adds its terms in order (j = 0, 1, ...), and vec_expf gets o[j] - top as
 * before: the bits of one row at a time.
 */
static inline __attribute__((always_inline)) void
softmax_group(float *o, int n, const int group)
{
	float		top[SOFTMAX_GROUP],
				sum[SOFTMAX_GROUP];
	int			r,
				j;

	for (r = 0; r < group; r++)
		top[r] = row_maximum(o + (size_t) r * n, n);
	for (r = 0; r < group; r++)
		for (j = 0; j < n; j++)
			o[(size_t) r * n + j] -= top[r];
	for (j = 0; j < group * n; j++)
		o[j] = vec_expf(o[j]);
	for (r = 0; r < group; r++)
		sum[r] = 0.0f;
	for (j = 0; j < n; j++)
		for (r = 0; r < group; r++)
			sum[r] += o[(size_t) r * n + j];
	for (r = 0; r < group; r++)
		for (j = 0; j < n; j++)
			o[(size_t) r * n + j] /= sum[r];
}

/* softmax of each row of rows x n, SOFTMAX_GROUP rows at a time */
NN_KERNEL
static void
softmax_rows(float *v, int rows, int n)
{
	int			i = 0;

	for (; i + SOFTMAX_GROUP <= rows; i += SOFTMAX_GROUP)
		softmax_group(v + (size_t) i * n, n, SOFTMAX_GROUP);
	for (; i < rows; i++)
		softmax_group(v + (size_t) i * n, n, 1);
}

/*
 * softmax_rows for one row of n values in a buffer of `padded` (a multiple
 * of 16): the exponentials in whole vectors, the sum over the n real ones in
 * order, so the bits are softmax_rows'.  Inlined into nn_forward_one's
 * clones.
 */
static inline __attribute__((always_inline)) void
softmax_padded_row(float *o, int n, int padded)
{
	float		top = o[0],
				sum = 0.0f;
	int			j;

	for (j = 1; j < n; j++)
		top = o[j] > top ? o[j] : top;
	for (j = 0; j < padded; j++)
		o[j] = vec_expf(o[j] - top);
	for (j = 0; j < n; j++)
		sum += o[j];
	for (j = 0; j < n; j++)
		o[j] /= sum;
}

/*
 * An element-wise activation in place on n values (every one but softmax),
 * inlined into each clone that applies one
 */
static inline __attribute__((always_inline)) void
activate_values(NnActivation act, float *v, size_t n)
{
	size_t		i;

	switch (act)
	{
		case NN_ACT_BIPOLAR_SIGMOID:
			/* 2 / (1 + e^-u) - 1 == tanh(u / 2), which is stable for large |u| */
			for (i = 0; i < n; i++)
				v[i] = vec_tanhf(0.5f * v[i]);
			break;
		case NN_ACT_TANH:
			for (i = 0; i < n; i++)
				v[i] = vec_tanhf(v[i]);
			break;
		case NN_ACT_SIGMOID:
			for (i = 0; i < n; i++)
				v[i] = 1.0f / (1.0f + vec_expf(-v[i]));
			break;
		case NN_ACT_RELU:
			for (i = 0; i < n; i++)
				v[i] = v[i] > 0.0f ? v[i] : 0.0f;
			break;
		case NN_ACT_LINEAR:
		case NN_ACT_SOFTMAX:	/* not element-wise: activate() and nn_forward_one() */
			break;
	}
}

/* apply an activation in place to rows x n pre-activations */
NN_KERNEL
static void
activate(NnActivation act, float *v, int rows, int n_per_row)
{
	if (act == NN_ACT_SOFTMAX)
		softmax_rows(v, rows, n_per_row);
	else
		activate_values(act, v, (size_t) rows * n_per_row);
}

/* the activation's derivative, written in terms of its output o */
static inline float
derivative(NnActivation act, float o)
{
	switch (act)
	{
		case NN_ACT_BIPOLAR_SIGMOID:
			return 0.5f * (1.0f - o * o);
		case NN_ACT_TANH:
			return 1.0f - o * o;
		case NN_ACT_SIGMOID:
			return o * (1.0f - o);
		case NN_ACT_RELU:
			return o > 0.0f ? 1.0f : 0.0f;
		case NN_ACT_LINEAR:
		case NN_ACT_SOFTMAX:	/* only with cross-entropy, which needs none */
			return 1.0f;
	}
	return 0.0f;
}

/*
 * The batch products (training, and scoring many rows at once) are in
 * nn_gemm.c.  The one-row scoring path below adds its terms in their order
 * (the start value, then input 0, 1, ...) and skips the zero inputs they
 * skip, so it gives their bits.  NN_COLUMN_BLOCK: the columns of one of its
 * vectors, and the padding of its weights.
 */
#define NN_COLUMN_BLOCK 16

/* n rounded up to whole vector blocks of columns */
static inline int
padded_width(int n)
{
	return (n + NN_COLUMN_BLOCK - 1) / NN_COLUMN_BLOCK * NN_COLUMN_BLOCK;
}

/* the most inputs any layer has: the room nn_forward_one's list of non-zero inputs needs */
static int
widest_input(const NnLayout *layout)
{
	int			widest = 0;
	int			l;

	for (l = 0; l < layout->n_layers; l++)
		if (layout->sizes[l] > widest)
			widest = layout->sizes[l];
	return widest;
}

static bool row_product_wide(void);

/* the floats nn_scoring_bind needs for one row's scoring */
size_t
nn_scoring_floats(const NnLayout *layout)
{
	size_t		total = widest_input(layout);	/* int32 indices, as wide as floats */
	int			l;

	for (l = 0; l < layout->n_layers; l++)
		total += (size_t) (layout->sizes[l] + 1) * padded_width(layout->sizes[l + 1]);
	for (l = 0; l <= layout->n_layers; l++)
		total += padded_width(layout->sizes[l]);
	return total;
}

/*
 * copy the weights into scoring's padded layout and bind ws for
 * nn_forward_one
 */
void
nn_scoring_bind(NnWorkspace *ws, const NnLayout *layout, const float *weights,
				float *memory)
{
	int			l,
				k;

	memset(ws, 0, sizeof(*ws));
	ws->max_rows = 1;
	ws->scoring_weights = memory;
	for (l = 0; l < layout->n_layers; l++)
	{
		const int	n_out = layout->sizes[l + 1],
					stride = padded_width(n_out);

		/* the weight rows, then the bias row, each padded with zeros */
		for (k = 0; k <= layout->sizes[l]; k++)
		{
			memcpy(memory, weights, sizeof(float) * n_out);
			memset(memory + n_out, 0, sizeof(float) * (stride - n_out));
			memory += stride;
			weights += n_out;
		}
	}
	for (l = 0; l <= layout->n_layers; l++)
	{
		ws->act[l] = memory;
		memset(memory, 0, sizeof(float) * padded_width(layout->sizes[l]));
		memory += padded_width(layout->sizes[l]);
	}
	ws->nonzero = (int32_t *) memory;
	ws->scoring_wide = row_product_wide();
}

/*
 * The one-row products, in vectors of a width every clone holds in its
 * registers: GCC keeps a generic vector wider than the machine's registers
 * (NnVec16 without AVX-512) in memory, and the sums of a row then wait on
 * stores and loads (ten times slower with AVX2).  So there are two kernels,
 * one summing in 16 floats (one zmm register, for AVX-512) and one in
 * NN_ROW_LANES (8: one ymm with AVX2; 4 where the build has 16-byte
 * registers only), and nn_scoring_bind picks one.  Both add each output's
 * terms in nn_gemm_product's order: the same bits.
 */
#if defined(__x86_64__) && (defined(__AVX__) || !defined(BPNN_NO_CLONES))
#define NN_ROW_LANES 8
#else
#define NN_ROW_LANES 4
#endif

/*
 * Columns j .. j + n_blocks * 16 - 1 of out = start + x * w for one row, in
 * vectors of `lanes` floats: with nz NULL over every input, skipping those
 * that are 0 as nn_gemm_product does; else over the n_terms inputs listed in
 * nz (those that are not 0, in order), which spares a sparse row the test
 * of each input, a branch it would mispredict.
 */
#define ROW_BLOCK(name, lanes) \
typedef float name##_vec __attribute__((vector_size((lanes) * 4))); \
typedef float name##_vecu __attribute__((vector_size((lanes) * 4), aligned(4))); \
static inline __attribute__((always_inline)) void \
name(const float *restrict x, const int32_t *restrict nz, int n_terms, \
	 const float *restrict w, int stride, const float *restrict start, \
	 float *restrict out, int j, const int n_blocks) \
{ \
	const int	parts = NN_COLUMN_BLOCK / (lanes); \
	name##_vec	acc[8 * NN_COLUMN_BLOCK / (lanes)]; \
	int			t, \
				b; \
\
	for (b = 0; b < n_blocks * parts; b++) \
		acc[b] = *(const name##_vecu *) (start + j + b * (lanes)); \
	for (t = 0; t < n_terms; t++) \
	{ \
		const int	k = nz ? nz[t] : t; \
		const float a = x[k]; \
		const float *restrict wk = w + (size_t) k * stride + j; \
\
		if (!nz && a == 0.0f) \
			continue; \
		for (b = 0; b < n_blocks * parts; b++) \
			acc[b] += a * *(const name##_vecu *) (wk + b * (lanes)); \
	} \
	for (b = 0; b < n_blocks * parts; b++) \
		*(name##_vecu *) (out + j + b * (lanes)) = acc[b]; \
}
ROW_BLOCK(row_block16, 16)
ROW_BLOCK(row_block_narrow, NN_ROW_LANES)

/*
 * out (1 x n_out, n_out a multiple of 16) = start + x (1 x n_in) * w, in
 * whole blocks: up to `group` at once (eight in 16-float vectors, four in
 * narrower ones: the registers each clone has), so that independent chains of
 * additions hide each other's latency.  A sparse row (a quarter or more of
 * its inputs 0, as pixels are) goes through the list of its other inputs;
 * a dense one is tested input by input, a branch that is then predicted
 * well, since making the list costs a chain of dependent additions as long
 * as the row.
 */
#define PADDED_ROW_PRODUCT(name, block, group) \
static inline __attribute__((always_inline)) void \
name(const float *restrict x, int n_in, const float *restrict w, int n_out, \
	 const float *restrict start, float *restrict out, int32_t *restrict nz) \
{ \
	const int32_t *list = NULL; \
	int			n_terms = n_in, \
				zeros = 0, \
				j = 0, \
				k; \
\
	for (k = 0; k < n_in; k++) \
		zeros += x[k] == 0.0f; \
	if (zeros * 4 >= n_in) \
	{ \
		/* the inputs that are not 0, in order (a NaN is listed: nn_gemm_product adds it) */ \
		n_terms = 0; \
		for (k = 0; k < n_in; k++) \
		{ \
			nz[n_terms] = k; \
			n_terms += x[k] != 0.0f; \
		} \
		list = nz; \
	} \
	for (; group == 8 && j + 8 * NN_COLUMN_BLOCK <= n_out; j += 8 * NN_COLUMN_BLOCK) \
		block(x, list, n_terms, w, n_out, start, out, j, 8); \
	for (; j + 4 * NN_COLUMN_BLOCK <= n_out; j += 4 * NN_COLUMN_BLOCK) \
		block(x, list, n_terms, w, n_out, start, out, j, 4); \
	switch ((n_out - j) / NN_COLUMN_BLOCK) \
	{ \
		case 3: \
			block(x, list, n_terms, w, n_out, start, out, j, 3); \
			break; \
		case 2: \
			block(x, list, n_terms, w, n_out, start, out, j, 2); \
			break; \
		case 1: \
			block(x, list, n_terms, w, n_out, start, out, j, 1); \
			break; \
	} \
}
PADDED_ROW_PRODUCT(padded_row_product16, row_block16, 8)
PADDED_ROW_PRODUCT(padded_row_product_narrow, row_block_narrow, 4)

/* whether the 16-float kernel suits this machine: AVX-512 (or a build for it) */
static bool
row_product_wide(void)
{
#if defined(BPNN_NO_CLONES) || !defined(__x86_64__) || !defined(__GNUC__) || defined(__clang__)
#ifdef __AVX512F__
	return true;
#else
	return false;
#endif
#else
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f");
#endif
}

/*
 * forward pass of the one row in ws->act[0], the same bits as nn_forward
 * gives it.  One clone holds the whole pass, the products and activations
 * inlined: a row pays one dispatch, not one per layer and step.
 */
NN_KERNEL
void
nn_forward_one(const NnLayout *layout, NnWorkspace *ws)
{
	const float *w = ws->scoring_weights;
	int			l;

	for (l = 0; l < layout->n_layers; l++)
	{
		const int	n_in = layout->sizes[l],
					stride = padded_width(layout->sizes[l + 1]);

		const NnActivation act = l + 1 == layout->n_layers ? layout->output_act
			: layout->hidden_act;

		if (ws->scoring_wide)
			padded_row_product16(ws->act[l], n_in, w, stride, w + (size_t) n_in * stride,
								 ws->act[l + 1], ws->nonzero);
		else
			padded_row_product_narrow(ws->act[l], n_in, w, stride, w + (size_t) n_in * stride,
									  ws->act[l + 1], ws->nonzero);

		/*
		 * Element-wise activations over the padded width too, in whole
		 * vectors, with no scalar tail: the padding's values are never read
		 * (the next layer takes its n_in real inputs).  Softmax sums over
		 * the real outputs only.
		 */
		if (act == NN_ACT_SOFTMAX)
			softmax_padded_row(ws->act[l + 1], layout->sizes[l + 1], stride);
		else
			activate_values(act, ws->act[l + 1], (size_t) stride);
		w += (size_t) (n_in + 1) * stride;
	}
}

/* a double's bits and back: integer compares of them raise no FP exception */
static inline uint64_t
double_bits(double d)
{
	uint64_t	u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

/* the double of a bit pattern */
static inline double
bits_double(uint64_t u)
{
	double		d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/*
 * The scaler of one row of raw values, x' = (float) (((double) (float) x
 * - shift) * scale), in double precision as training applied it, in whole
 * vectors.  A value beyond float4 (or NaN) is taken as 0 and makes it
 * return false, as does a scaled value beyond float4: the caller then
 * looks for the culprit.  "Within float4" is tested on the bits (those of
 * |x| as an integer order as |x| does, NaN's above all), so the loop has no
 * FP comparison, which GCC would not turn into selects without
 * -fno-trapping-math, and so vectorizes.
 */
NN_KERNEL
bool
nn_scale_row(const double *restrict values, const double *restrict shift,
			 const double *restrict scale, int n, float *restrict out)
{
	const int64_t limit = (int64_t) double_bits((double) FLT_MAX);
	const uint64_t magnitude = ~(UINT64_C(1) << 63);
	uint64_t	bad = 0;
	int			f;

	for (f = 0; f < n; f++)
	{
		uint64_t	v = double_bits(values[f]);
		uint64_t	in_range = (int64_t) (v & magnitude) <= limit;
		double		x = ((double) (float) bits_double(v & -in_range) - shift[f]) * scale[f];
		uint64_t	xb = double_bits(x);
		uint64_t	fits = (int64_t) (xb & magnitude) <= limit;

		out[f] = (float) bits_double(xb & -fits);
		bad |= (in_range & fits) ^ 1;
	}
	return bad == 0;
}

/* out (rows x n_out) = f(in (rows x n_in) * W + bias) */
static void
layer_forward(const float *in, int n_in, const float *w, int n_out,
			  float *out, int rows, NnActivation act)
{
	nn_gemm_product(in, n_in, w, n_out, w + (size_t) n_in * n_out, out, rows);
	activate(act, out, rows, n_out);
}

/* forward pass of the rows in ws->act[0]: the outputs in ws->act[n_layers] */
void
nn_forward(const NnLayout *layout, const float *weights, NnWorkspace *ws,
		   int rows)
{
	int			l;

	for (l = 0; l < layout->n_layers; l++)
		layer_forward(ws->act[l], layout->sizes[l],
					  weights + nn_layer_offset(layout, l),
					  layout->sizes[l + 1], ws->act[l + 1], rows,
					  l + 1 == layout->n_layers ? layout->output_act
					  : layout->hidden_act);
}

/*
 * d[j] = weight (lo - o[j]) f'(o[j]) for n outputs: one loop per
 * activation, so each vectorizes (GCC 12 does not unswitch a switch)
 */
static void
output_signals(NnActivation act, const float *restrict o, float *restrict d, int n,
			   float weight, float lo)
{
	int			j;

#define OUTPUT_SIGNALS(a) \
	for (j = 0; j < n; j++) \
		d[j] = weight * (lo - o[j]) * derivative(a, o[j])
	switch (act)
	{
		case NN_ACT_BIPOLAR_SIGMOID:
			OUTPUT_SIGNALS(NN_ACT_BIPOLAR_SIGMOID);
			break;
		case NN_ACT_TANH:
			OUTPUT_SIGNALS(NN_ACT_TANH);
			break;
		case NN_ACT_SIGMOID:
			OUTPUT_SIGNALS(NN_ACT_SIGMOID);
			break;
		case NN_ACT_RELU:
			OUTPUT_SIGNALS(NN_ACT_RELU);
			break;
		case NN_ACT_LINEAR:
		case NN_ACT_SOFTMAX:
			OUTPUT_SIGNALS(NN_ACT_LINEAR);
			break;
	}
#undef OUTPUT_SIGNALS
}

/* rows whose squared-error losses squared_error_group sums side by side */
#define LOSS_GROUP 4

/*
 * The squared-error losses of `group` rows of n_out outputs against their
 * labels' targets (hi for the label, lo for the rest): each row's terms
 * added in order (j = 0, 1, ...) as one row alone adds them, the rows'
 * sums side by side, so their additions do not wait on each other
 */
static inline __attribute__((always_inline)) void
squared_error_group(const float *o, int n_out, const int32_t *labels, float lo, float hi,
					double *row_loss, const int group)
{
	int			r,
				j;

	for (r = 0; r < group; r++)
		row_loss[r] = 0.0;
	for (j = 0; j < n_out; j++)
		for (r = 0; r < group; r++)
		{
			float		err = (j == labels[r] ? hi : lo) - o[(size_t) r * n_out + j];

			row_loss[r] += 0.5 * (double) err * err;
		}
}

/*
 * Output error signals: dO = (t - o) f'(o) for squared error, dO = t - p
 * for softmax with cross-entropy; each row weighted by its class's weight.
 * t is +-1 (or 0/1) from the label, or ws->target's value (regression).
 * Returns the weighted loss.
 */
static double
output_deltas(const NnLayout *layout, NnWorkspace *ws, int rows,
			  const int32_t *labels, const float *class_weight)
{
	const int	L = layout->n_layers;
	const int	n_out = layout->sizes[L];
	float		lo,
				hi;
	double		loss = 0.0;
	int			i,
				j;

	if (ws->target)
	{
		/* regression: each output towards its own target, rows unweighted */
		for (i = 0; i < rows; i++)
		{
			const float *o = ws->act[L] + (size_t) i * n_out;
			const float *t = ws->target + (size_t) i * n_out;
			float	   *d = ws->delta[L] + (size_t) i * n_out;

			for (j = 0; j < n_out; j++)
			{
				float		err = t[j] - o[j];

				loss += 0.5 * (double) err * err;
				d[j] = err * derivative(layout->output_act, o[j]);
			}
		}
		return loss;
	}
	nn_target_bounds(layout->output_act, &lo, &hi);
	for (i = 0; i < rows; i++)
	{
		const float *o = ws->act[L] + (size_t) i * n_out;
		float	   *d = ws->delta[L] + (size_t) i * n_out;
		const int	label = labels[i];
		float		weight = class_weight ? class_weight[label] : 1.0f;

		if (layout->loss == NN_LOSS_CROSS_ENTROPY)
		{
			/* every output towards lo in one vector loop, then the label's towards hi */
			for (j = 0; j < n_out; j++)
				d[j] = weight * (lo - o[j]);
			d[label] = weight * (hi - o[label]);
			loss += weight * -log(fmax((double) o[label], 1e-30));
		}
		else
		{
			/* the signals in a vector loop, then the label's */
			output_signals(layout->output_act, o, d, n_out, weight, lo);
			d[label] = weight * (hi - o[label]) * derivative(layout->output_act, o[label]);
		}
	}
	if (layout->loss == NN_LOSS_CROSS_ENTROPY)
		return loss;
	/* squared error: the rows' losses LOSS_GROUP at a time, added in row order */
	for (i = 0; i < rows;)
	{
		const float *o = ws->act[L] + (size_t) i * n_out;
		const int	group = rows - i >= LOSS_GROUP ? LOSS_GROUP : 1;
		double		row_loss[LOSS_GROUP];
		int			r;

		if (group == LOSS_GROUP)
			squared_error_group(o, n_out, labels + i, lo, hi, row_loss, LOSS_GROUP);
		else
			squared_error_group(o, n_out, labels + i, lo, hi, row_loss, 1);
		for (r = 0; r < group; r++, i++)
			loss += (class_weight ? class_weight[labels[i]] : 1.0f) * row_loss[r];
	}
	return loss;
}

/* dp *= f'(y), element by element; act a constant once inlined */
static inline __attribute__((always_inline)) void
times_derivative(NnActivation act, const float *restrict y, float *restrict dp, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		dp[i] *= derivative(act, y[i]);
}

/*
 * Error signals of the layer below: dY = (dO W^T) .* f'(y).  wt is W
 * transposed (n_o x n_in), so dO W^T is nn_gemm_product's shape; each sum
 * starts from 0 and adds j = 0, 1, ... in order.
 */
NN_KERNEL
static void
propagate_deltas(const float *restrict d_all, int n_o, const float *restrict wt, int n_in,
				 int rows, const float *restrict y_all, float *restrict dp_all, NnActivation act)
{
	size_t		n = (size_t) rows * n_in;

	nn_gemm_product(d_all, n_o, wt, n_in, NULL, dp_all, rows);
	/* one loop per activation, so each vectorizes (GCC 12 does not unswitch a switch) */
	switch (act)
	{
		case NN_ACT_BIPOLAR_SIGMOID:
			times_derivative(NN_ACT_BIPOLAR_SIGMOID, y_all, dp_all, n);
			break;
		case NN_ACT_TANH:
			times_derivative(NN_ACT_TANH, y_all, dp_all, n);
			break;
		case NN_ACT_SIGMOID:
			times_derivative(NN_ACT_SIGMOID, y_all, dp_all, n);
			break;
		case NN_ACT_RELU:
			times_derivative(NN_ACT_RELU, y_all, dp_all, n);
			break;
		case NN_ACT_LINEAR:
		case NN_ACT_SOFTMAX:
			times_derivative(act, y_all, dp_all, n);
			break;
	}
}

/* the side of transpose's square blocks */
#define TRANSPOSE_BLOCK 8

/*
 * wt (n_o x n_in) = w (n_in x n_o) transposed, in 8 x 8 blocks, whose
 * stores stay within a few cache lines (1.8 times the speed of a plain
 * loop for letter's 64 x 26, measured outside the server)
 */
static void
transpose(const float *restrict w, int n_in, int n_o, float *restrict wt)
{
	int			k0 = 0,
				j0,
				j,
				k;

	for (; k0 + TRANSPOSE_BLOCK <= n_in; k0 += TRANSPOSE_BLOCK)
	{
		for (j0 = 0; j0 + TRANSPOSE_BLOCK <= n_o; j0 += TRANSPOSE_BLOCK)
			for (j = j0; j < j0 + TRANSPOSE_BLOCK; j++)
				for (k = k0; k < k0 + TRANSPOSE_BLOCK; k++)
					wt[(size_t) j * n_in + k] = w[(size_t) k * n_o + j];
		for (j = j0; j < n_o; j++)
			for (k = k0; k < k0 + TRANSPOSE_BLOCK; k++)
				wt[(size_t) j * n_in + k] = w[(size_t) k * n_o + j];
	}
	for (k = k0; k < n_in; k++)
		for (j = 0; j < n_o; j++)
			wt[(size_t) j * n_in + k] = w[(size_t) k * n_o + j];
}

/*
 * backward pass: add the batch's error-signal products to grad; the weighted
 * loss
 */
double
nn_backward(const NnLayout *layout, const float *weights, NnWorkspace *ws,
			int rows, const int32_t *labels, const float *class_weight,
			float *grad)
{
	double		loss = output_deltas(layout, ws, rows, labels, class_weight);
	int			l;

	for (l = layout->n_layers; l >= 1; l--)
	{
		const int	n_in = layout->sizes[l - 1];
		const int	n_o = layout->sizes[l];
		const float *w = weights + nn_layer_offset(layout, l - 1);

		nn_gemm_accumulate(ws->act[l - 1], n_in, ws->delta[l], n_o, rows,
						   grad + nn_layer_offset(layout, l - 1));
		if (l > 1)
		{
			transpose(w, n_in, n_o, ws->wt);
			propagate_deltas(ws->delta[l], n_o, ws->wt, n_in, rows,
							 ws->act[l - 1], ws->delta[l - 1], layout->hidden_act);
		}
	}
	return loss;
}

/* the index of the largest output of one row */
int
nn_argmax(const float *outputs, int n)
{
	int			best = 0;
	int			j;

	for (j = 1; j < n; j++)
		if (outputs[j] > outputs[best])
			best = j;
	return best;
}

/* loss and correct predictions of a forward pass */
double
nn_batch_loss(const NnLayout *layout, const NnWorkspace *ws, int rows,
			  const int32_t *labels, int *correct)
{
	const int	n_out = layout->sizes[layout->n_layers];
	float		lo,
				hi;
	double		loss = 0.0;
	int			i,
				j;

	*correct = 0;
	if (ws->target)
	{
		for (i = 0; i < rows * n_out; i++)
		{
			double		err = (double) ws->target[i] - ws->act[layout->n_layers][i];

			loss += 0.5 * err * err;
		}
		return loss;
	}
	nn_target_bounds(layout->output_act, &lo, &hi);
	for (i = 0; i < rows; i++)
	{
		const float *o = ws->act[layout->n_layers] + (size_t) i * n_out;

		if (layout->loss == NN_LOSS_CROSS_ENTROPY)
		{
			if (labels[i] >= 0)
				loss -= log(fmax((double) o[labels[i]], 1e-30));
		}
		else
			for (j = 0; j < n_out; j++)
			{
				double		err = (double) (j == labels[i] ? hi : lo) - o[j];

				loss += 0.5 * err * err;
			}
		if (nn_argmax(o, n_out) == labels[i])
			(*correct)++;
	}
	return loss;
}

/* the momentum update of every weight, grad cleared for the next batch */
NN_KERNEL
void
nn_update(size_t count, float *weights, float *grad, float *grad_prev,
		  double scale, double rate, double momentum, double decay)
{
	const float g_scale = (float) scale;
	const float lr = (float) rate;
	const float step_prev = (float) (momentum * rate);
	const float l2 = (float) decay;
	size_t		i;

	for (i = 0; i < count; i++)
	{
		/* the batch mean, pulled towards zero by weight decay */
		float		g = grad[i] * g_scale - l2 * weights[i];

		weights[i] += lr * g + step_prev * grad_prev[i];
		grad_prev[i] = g;
		grad[i] = 0.0f;
	}
}

/* Adam's update of every weight, grad cleared for the next batch */
NN_KERNEL
void
nn_update_adam(size_t count, float *weights, float *grad, float *m, float *v,
			   long step, double scale, double rate, double decay)
{
	const double beta1 = 0.9,
				beta2 = 0.999;
	const float g_scale = (float) scale;
	const float l2 = (float) decay;
	/* bias corrections folded into the step size, as the paper suggests */
	const float alpha = (float) (rate * sqrt(1.0 - pow(beta2, (double) step)) /
								 (1.0 - pow(beta1, (double) step)));
	const float eps = 1e-8f;
	size_t		i;

	for (i = 0; i < count; i++)
	{
		float		g = grad[i] * g_scale - l2 * weights[i];

		m[i] = (float) beta1 * m[i] + (float) (1.0 - beta1) * g;
		v[i] = (float) beta2 * v[i] + (float) (1.0 - beta2) * g * g;
		weights[i] += alpha * m[i] / (sqrtf(v[i]) + eps);
		grad[i] = 0.0f;
	}
}

/* probabilities from one row of outputs */
void
nn_outputs_to_proba(NnActivation output_act, const float *outputs, int n,
					double *proba)
{
	float		lo,
				hi;
	double		sum = 0.0;
	int			j;

	if (output_act == NN_ACT_SOFTMAX)
	{
		for (j = 0; j < n; j++)
			proba[j] = outputs[j];
		return;
	}
	nn_target_bounds(output_act, &lo, &hi);
	for (j = 0; j < n; j++)
	{
		double		p = ((double) outputs[j] - lo) / ((double) hi - lo);

		/*
		 * A squared-error output estimates the class's probability by least
		 * squares, which may step outside [0, 1]: an output at or beyond the
		 * low bound says "unlikely", not "impossible", and log-loss
		 * downstream must stay finite
		 */
		p = p < NN_PROBA_FLOOR ? NN_PROBA_FLOOR : (p > 1.0 ? 1.0 : p);
		proba[j] = p;
		sum += p;
	}
	for (j = 0; j < n; j++)
		proba[j] /= sum;
}
