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
	"bipolar_sigmoid", "tanh", "sigmoid", "relu", "linear"
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

const char *
nn_activation_name(NnActivation act)
{
	if ((int) act < 0 || (int) act >= NN_ACT_COUNT)
		return NULL;
	return activation_names[act];
}

int
nn_activation_from_name(const char *name)
{
	int			i;

	for (i = 0; i < NN_ACT_COUNT; i++)
		if (strcmp(name, activation_names[i]) == 0)
			return i;
	return -1;
}

NnActivation
nn_output_activation_for(NnActivation hidden)
{
	/* a relu output could never reach the lower target: use a linear one */
	return hidden == NN_ACT_RELU ? NN_ACT_LINEAR : hidden;
}

void
nn_target_bounds(NnActivation output_act, float *lo, float *hi)
{
	*lo = output_act == NN_ACT_SIGMOID ? 0.0f : -1.0f;
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

size_t
nn_workspace_floats(const NnLayout *layout, int max_rows)
{
	size_t		total = 0;
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

	memset(ws, 0, sizeof(*ws));
	ws->max_rows = max_rows;
	for (l = 0; l <= layout->n_layers; l++)
	{
		ws->act[l] = memory;
		memory += (size_t) max_rows * layout->sizes[l];
		if (l > 0)
		{
			ws->delta[l] = memory;
			memory += (size_t) max_rows * layout->sizes[l];
		}
	}
}

/* apply an activation in place to n pre-activations */
static void
activate(NnActivation act, float *v, size_t n)
{
	size_t		i;

	switch (act)
	{
		case NN_ACT_BIPOLAR_SIGMOID:
			/* 2 / (1 + e^-u) - 1 == tanh(u / 2), which is stable for large |u| */
			for (i = 0; i < n; i++)
				v[i] = tanhf(0.5f * v[i]);
			break;
		case NN_ACT_TANH:
			for (i = 0; i < n; i++)
				v[i] = tanhf(v[i]);
			break;
		case NN_ACT_SIGMOID:
			for (i = 0; i < n; i++)
				v[i] = 1.0f / (1.0f + expf(-v[i]));
			break;
		case NN_ACT_RELU:
			for (i = 0; i < n; i++)
				v[i] = v[i] > 0.0f ? v[i] : 0.0f;
			break;
		case NN_ACT_LINEAR:
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
			return 1.0f;
	}
	return 0.0f;
}

/* out (rows x n_out) = f(in (rows x n_in) * W + bias) */
static void
layer_forward(const float *in, int n_in, const float *w, int n_out,
			  float *out, int rows, NnActivation act)
{
	const float *bias = w + (size_t) n_in * n_out;
	int			i,
				k,
				j;

	for (i = 0; i < rows; i++)
	{
		const float *x = in + (size_t) i * n_in;
		float	   *o = out + (size_t) i * n_out;

		memcpy(o, bias, sizeof(float) * n_out);
		for (k = 0; k < n_in; k++)
		{
			const float a = x[k];
			const float *wk = w + (size_t) k * n_out;

			if (a == 0.0f)
				continue;		/* sparse inputs (pixels, one-hot) are common */
			for (j = 0; j < n_out; j++)
				o[j] += a * wk[j];
		}
	}
	activate(act, out, (size_t) rows * n_out);
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

double
nn_backward(const NnLayout *layout, const float *weights, NnWorkspace *ws,
			int rows, const int32_t *labels, float *grad)
{
	const int	L = layout->n_layers;
	const int	n_out = layout->sizes[L];
	float		lo,
				hi;
	double		loss = 0.0;
	int			i,
				j,
				k,
				l;

	nn_target_bounds(layout->output_act, &lo, &hi);

	/* output error signals: dO = (t - o) * f'(o) */
	for (i = 0; i < rows; i++)
	{
		const float *o = ws->act[L] + (size_t) i * n_out;
		float	   *d = ws->delta[L] + (size_t) i * n_out;

		for (j = 0; j < n_out; j++)
		{
			float		err = (j == labels[i] ? hi : lo) - o[j];

			loss += 0.5 * (double) err * err;
			d[j] = err * derivative(layout->output_act, o[j]);
		}
	}

	for (l = L; l >= 1; l--)
	{
		const int	n_in = layout->sizes[l - 1];
		const int	n_o = layout->sizes[l];
		const float *w = weights + nn_layer_offset(layout, l - 1);
		float	   *g = grad + nn_layer_offset(layout, l - 1);
		float	   *g_bias = g + (size_t) n_in * n_o;
		const float *a_in = ws->act[l - 1];
		const float *d_all = ws->delta[l];

		for (i = 0; i < rows; i++)
		{
			const float *x = a_in + (size_t) i * n_in;
			const float *d = d_all + (size_t) i * n_o;

			/* error products: g += x^T d, biases see a constant input 1 */
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

			/* error signals of the layer below: dY = (dO * W^T) .* f'(y) */
			if (l > 1)
			{
				float	   *dp = ws->delta[l - 1] + (size_t) i * n_in;

				for (k = 0; k < n_in; k++)
				{
					const float *wk = w + (size_t) k * n_o;
					float		s = 0.0f;

					for (j = 0; j < n_o; j++)
						s += d[j] * wk[j];
					dp[k] = s * derivative(layout->hidden_act, x[k]);
				}
			}
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
		  double scale, double rate, double momentum)
{
	const float step = (float) (rate * scale);
	const float step_prev = (float) (momentum * rate);
	size_t		i;

	for (i = 0; i < count; i++)
	{
		float		g = grad[i];

		/* grad_prev already holds the previous batch's mean, g_prev */
		weights[i] += step * g + step_prev * grad_prev[i];
		grad_prev[i] = (float) (g * scale);
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
