/*
 * nn.c — the network math of bpnn (see nn.h): activations, forward and
 * backward passes over a batch, the momentum update and seeded random
 * numbers.  Plain C, no PostgreSQL calls: the hot loops live here only.
 *
 * The loops are written so the compiler can vectorize the innermost one
 * (contiguous rows of the weight matrices).
 */
#include "nn.h"

#include <math.h>
#include <string.h>

static const char *const activation_names[NN_ACT_COUNT] = {
	"bipolar_sigmoid", "tanh", "sigmoid", "relu", "linear", "softmax"
};

static const char *const loss_names[NN_LOSS_COUNT] = {
	"squared_error", "cross_entropy"
};

void
nn_rng_seed(NnRng *rng, uint64_t seed)
{
	rng->state = seed;
}

uint64_t
nn_rng_next(NnRng *rng)
{
	uint64_t	z = (rng->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

double
nn_rng_uniform(NnRng *rng)
{
	/* the top 53 bits make an exactly representable double in [0, 1) */
	return (double) (nn_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

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

const char *
nn_name_of(const char *const *names, int count, int value)
{
	return value >= 0 && value < count ? names[value] : NULL;
}

int
nn_value_of(const char *const *names, int count, const char *name)
{
	int			i;

	for (i = 0; i < count; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *
nn_activation_name(NnActivation act)
{
	return nn_name_of(activation_names, NN_ACT_COUNT, (int) act);
}

int
nn_activation_from_name(const char *name)
{
	return nn_value_of(activation_names, NN_ACT_COUNT, name);
}

const char *
nn_loss_name(NnLoss loss)
{
	return nn_name_of(loss_names, NN_LOSS_COUNT, (int) loss);
}

int
nn_loss_from_name(const char *name)
{
	return nn_value_of(loss_names, NN_LOSS_COUNT, name);
}

NnActivation
nn_output_activation_for(NnActivation hidden, NnLoss loss)
{
	if (loss == NN_LOSS_CROSS_ENTROPY)
		return NN_ACT_SOFTMAX;
	/* a relu output could never reach the lower target: use a linear one */
	return hidden == NN_ACT_RELU ? NN_ACT_LINEAR : hidden;
}

void
nn_target_bounds(NnActivation output_act, float *lo, float *hi)
{
	*lo = output_act == NN_ACT_SIGMOID || output_act == NN_ACT_SOFTMAX ? 0.0f : -1.0f;
	*hi = 1.0f;
}

size_t
nn_layer_offset(const NnLayout *layout, int layer)
{
	size_t		offset = 0;
	int			l;

	for (l = 0; l < layer; l++)
		offset += (size_t) (layout->sizes[l] + 1) * layout->sizes[l + 1];
	return offset;
}

size_t
nn_weight_count(const NnLayout *layout)
{
	return nn_layer_offset(layout, layout->n_layers);
}

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

size_t
nn_workspace_floats(const NnLayout *layout, int max_rows)
{
	size_t		total = transpose_floats(layout);
	int			l;

	for (l = 0; l <= layout->n_layers; l++)
		total += (size_t) max_rows * layout->sizes[l] * (l == 0 ? 1 : 2);
	return total;
}

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

size_t
nn_forward_workspace_floats(const NnLayout *layout, int max_rows)
{
	size_t		total = 0;
	int			l;

	for (l = 0; l <= layout->n_layers; l++)
		total += (size_t) max_rows * layout->sizes[l];
	return total;
}

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

	x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
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

/* softmax of each row of rows x n, shifted by the row's maximum for range */
NN_KERNEL
static void
softmax_rows(float *v, int rows, int n)
{
	int			i,
				j;

	for (i = 0; i < rows; i++)
	{
		float	   *o = v + (size_t) i * n;
		float		top = o[0],
					sum = 0.0f;

		for (j = 1; j < n; j++)
			top = o[j] > top ? o[j] : top;
		for (j = 0; j < n; j++)
		{
			o[j] = vec_expf(o[j] - top);
			sum += o[j];
		}
		for (j = 0; j < n; j++)
			o[j] /= sum;
	}
}

/* apply an activation in place to rows x n pre-activations */
NN_KERNEL
static void
activate(NnActivation act, float *v, int rows, int n_per_row)
{
	size_t		n = (size_t) rows * n_per_row;
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
			break;
		case NN_ACT_SOFTMAX:
			softmax_rows(v, rows, n_per_row);
			break;
	}
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

/* columns of the output computed together in registers by layer_forward */
#define NN_COLUMN_BLOCK 16

/*
 * out (rows x n_out) = f(in (rows x n_in) * W + bias).  The outputs are
 * computed NN_COLUMN_BLOCK columns at a time in a local accumulator the
 * compiler keeps in vector registers; every output still adds its terms
 * in the same order (bias, then inputs 0, 1, ...), so the results are the
 * same bits as the plain loop.
 */
NN_KERNEL
static void
layer_forward(const float *restrict in, int n_in, const float *restrict w, int n_out,
			  float *restrict out, int rows, NnActivation act)
{
	const float *bias = w + (size_t) n_in * n_out;
	int			i,
				k,
				j,
				t;

	for (i = 0; i < rows; i++)
	{
		const float *restrict x = in + (size_t) i * n_in;
		float	   *restrict o = out + (size_t) i * n_out;

		for (j = 0; j + NN_COLUMN_BLOCK <= n_out; j += NN_COLUMN_BLOCK)
		{
			float		acc[NN_COLUMN_BLOCK];

			for (t = 0; t < NN_COLUMN_BLOCK; t++)
				acc[t] = bias[j + t];
			for (k = 0; k < n_in; k++)
			{
				const float a = x[k];
				const float *restrict wk = w + (size_t) k * n_out + j;

				if (a == 0.0f)
					continue;	/* sparse inputs (pixels, one-hot) are common */
				for (t = 0; t < NN_COLUMN_BLOCK; t++)
					acc[t] += a * wk[t];
			}
			for (t = 0; t < NN_COLUMN_BLOCK; t++)
				o[j + t] = acc[t];
		}
		if (j < n_out && n_out - j <= 4)
		{
			/*
			 * At most four last columns (the output layer of a small
			 * classifier): scalar accumulators, so each sum stays in a
			 * register instead of going through memory at every input
			 */
			int			first = j,
						rem = n_out - j;
			float		s0 = bias[first],
						s1 = rem > 1 ? bias[first + 1] : 0.0f,
						s2 = rem > 2 ? bias[first + 2] : 0.0f,
						s3 = rem > 3 ? bias[first + 3] : 0.0f;

			for (k = 0; k < n_in; k++)
			{
				const float a = x[k];
				const float *restrict wk = w + (size_t) k * n_out + first;

				if (a == 0.0f)
					continue;
				s0 += a * wk[0];
				if (rem > 1)
					s1 += a * wk[1];
				if (rem > 2)
					s2 += a * wk[2];
				if (rem > 3)
					s3 += a * wk[3];
			}
			o[first] = s0;
			if (rem > 1)
				o[first + 1] = s1;
			if (rem > 2)
				o[first + 2] = s2;
			if (rem > 3)
				o[first + 3] = s3;
		}
		else if (j < n_out)
		{
			/* the last columns, fewer than a block */
			int			first = j;

			for (j = first; j < n_out; j++)
				o[j] = bias[j];
			for (k = 0; k < n_in; k++)
			{
				const float a = x[k];
				const float *restrict wk = w + (size_t) k * n_out;

				if (a == 0.0f)
					continue;
				for (j = first; j < n_out; j++)
					o[j] += a * wk[j];
			}
		}
	}
	activate(act, out, rows, n_out);
}

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
 * Output error signals: dO = (t - o) f'(o) for squared error, dO = t - p
 * for softmax with cross-entropy; each row weighted by its class's weight.
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

	nn_target_bounds(layout->output_act, &lo, &hi);
	for (i = 0; i < rows; i++)
	{
		const float *o = ws->act[L] + (size_t) i * n_out;
		float	   *d = ws->delta[L] + (size_t) i * n_out;
		float		weight = class_weight ? class_weight[labels[i]] : 1.0f;
		double		row_loss = 0.0;

		for (j = 0; j < n_out; j++)
		{
			float		err = (j == labels[i] ? hi : lo) - o[j];

			if (layout->loss == NN_LOSS_CROSS_ENTROPY)
				d[j] = weight * err;
			else
			{
				row_loss += 0.5 * (double) err * err;
				d[j] = weight * err * derivative(layout->output_act, o[j]);
			}
		}
		if (layout->loss == NN_LOSS_CROSS_ENTROPY)
			row_loss = -log(fmax((double) o[labels[i]], 1e-30));
		loss += weight * row_loss;
	}
	return loss;
}

/* error products of one layer: g += x^T d, biases see a constant input 1 */
NN_KERNEL
static void
accumulate_products(const float *restrict x_all, int n_in, const float *restrict d_all,
					int n_o, int rows, float *restrict g)
{
	float	   *restrict g_bias = g + (size_t) n_in * n_o;
	int			i,
				j,
				k;

	for (i = 0; i < rows; i++)
	{
		const float *x = x_all + (size_t) i * n_in;
		const float *d = d_all + (size_t) i * n_o;

		for (k = 0; k < n_in; k++)
		{
			const float a = x[k];
			float	   *gk = g + (size_t) k * n_o;

			if (a == 0.0f)
				continue;
			for (j = 0; j < n_o; j++)
				gk[j] += a * d[j];
		}
		for (j = 0; j < n_o; j++)
			g_bias[j] += d[j];
	}
}

/*
 * Error signals of the layer below: dY = (dO W^T) .* f'(y).  wt is W
 * transposed (n_o x n_in), so the inner loop runs along contiguous memory
 * and vectorizes without reordering any sum.
 */
NN_KERNEL
static void
propagate_deltas(const float *restrict d_all, int n_o, const float *restrict wt, int n_in,
				 int rows, const float *restrict y_all, float *restrict dp_all, NnActivation act)
{
	int			i,
				j,
				k;

	for (i = 0; i < rows; i++)
	{
		const float *d = d_all + (size_t) i * n_o;
		const float *y = y_all + (size_t) i * n_in;
		float	   *dp = dp_all + (size_t) i * n_in;

		for (k = 0; k < n_in; k++)
			dp[k] = 0.0f;
		for (j = 0; j < n_o; j++)
		{
			const float dj = d[j];
			const float *wj = wt + (size_t) j * n_in;

			for (k = 0; k < n_in; k++)
				dp[k] += dj * wj[k];
		}
		for (k = 0; k < n_in; k++)
			dp[k] *= derivative(act, y[k]);
	}
}

double
nn_backward(const NnLayout *layout, const float *weights, NnWorkspace *ws,
			int rows, const int32_t *labels, const float *class_weight,
			float *grad)
{
	double		loss = output_deltas(layout, ws, rows, labels, class_weight);
	int			l,
				j,
				k;

	for (l = layout->n_layers; l >= 1; l--)
	{
		const int	n_in = layout->sizes[l - 1];
		const int	n_o = layout->sizes[l];
		const float *w = weights + nn_layer_offset(layout, l - 1);

		accumulate_products(ws->act[l - 1], n_in, ws->delta[l], n_o, rows,
							grad + nn_layer_offset(layout, l - 1));
		if (l > 1)
		{
			for (k = 0; k < n_in; k++)
				for (j = 0; j < n_o; j++)
					ws->wt[(size_t) j * n_in + k] = w[(size_t) k * n_o + j];
			propagate_deltas(ws->delta[l], n_o, ws->wt, n_in, rows,
							 ws->act[l - 1], ws->delta[l - 1], layout->hidden_act);
		}
	}
	return loss;
}

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

	nn_target_bounds(layout->output_act, &lo, &hi);
	*correct = 0;
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

		p = p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
		proba[j] = p;
		sum += p;
	}
	for (j = 0; j < n; j++)
		proba[j] = sum > 0.0 ? proba[j] / sum : 1.0 / n;
}
