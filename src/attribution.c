/*
 * attribution.c — the math of bpnn_explain: a network's output and its
 * gradient with respect to the normalized inputs, in float8, and
 * integrated gradients along the line from a baseline to a row.
 *
 * The forward pass here is the kernel's (nn.c) in float8 and with the
 * library's exp and tanh: the same function of the float4 inputs and
 * weights (within 1e-5 of bpnn_predict_proba; the explain suite checks
 * it), without the float4 rounding that would make the small differences
 * of a path integral noisy.  Plain C, no PostgreSQL headers (as nn.c), so
 * it is tested outside the server too (test/unit/test_nn.c).
 */
#include <math.h>
#include <string.h>

#include "attribution.h"

/* doubles of scratch memory attr_gradient needs for the layout */
size_t
attr_work_doubles(const NnLayout *layout)
{
	size_t		n = 2 * (size_t) nn_widest_layer(layout);
	int			l;

	for (l = 0; l <= layout->n_layers; l++)
		n += (size_t) layout->sizes[l];
	return n;
}

/* an activation in place on n pre-activations */
static void
activate(NnActivation act, double *v, int n)
{
	double		top,
				sum = 0.0;
	int			i;

	switch (act)
	{
		case NN_ACT_BIPOLAR_SIGMOID:
			/* 2 / (1 + e^-u) - 1 == tanh(u / 2), as in nn.c */
			for (i = 0; i < n; i++)
				v[i] = tanh(0.5 * v[i]);
			break;
		case NN_ACT_TANH:
			for (i = 0; i < n; i++)
				v[i] = tanh(v[i]);
			break;
		case NN_ACT_SIGMOID:
			for (i = 0; i < n; i++)
				v[i] = 1.0 / (1.0 + exp(-v[i]));
			break;
		case NN_ACT_RELU:
			for (i = 0; i < n; i++)
				v[i] = v[i] > 0.0 ? v[i] : 0.0;
			break;
		case NN_ACT_LINEAR:
			break;
		case NN_ACT_SOFTMAX:
			top = v[0];
			for (i = 1; i < n; i++)
				top = v[i] > top ? v[i] : top;
			for (i = 0; i < n; i++)
			{
				v[i] = exp(v[i] - top);
				sum += v[i];
			}
			for (i = 0; i < n; i++)
				v[i] /= sum;
			break;
	}
}

/* an element-wise activation's derivative, in terms of its output o */
static double
derivative(NnActivation act, double o)
{
	switch (act)
	{
		case NN_ACT_BIPOLAR_SIGMOID:
			return 0.5 * (1.0 - o * o);
		case NN_ACT_TANH:
			return 1.0 - o * o;
		case NN_ACT_SIGMOID:
			return o * (1.0 - o);
		case NN_ACT_RELU:
			return o > 0.0 ? 1.0 : 0.0;
		case NN_ACT_LINEAR:
		case NN_ACT_SOFTMAX:		/* not element-wise: output_delta() */
			return 1.0;
	}
	return 0.0;
}

/*
 * The target's value from the output layer o, and (delta not NULL) its
 * derivative with respect to each output unit's pre-activation
 */
static double
output_delta(const NnLayout *layout, const AttrTarget *t, const double *o, double *delta)
{
	int			n = layout->sizes[layout->n_layers],
				c = t->unit,
				j;
	float		lo,
				hi;
	double		q_c = 0.0,
				sum = 0.0;

	if (t->kind == ATTR_VALUE)
	{
		if (delta != NULL)
			for (j = 0; j < n; j++)
				delta[j] = j == c ? t->scale * derivative(layout->output_act, o[j]) : 0.0;
		return o[c] * t->scale + t->shift;
	}
	if (layout->output_act == NN_ACT_SOFTMAX)
	{
		/* d p_c / d s_j = p_c (1{c = j} - p_j) */
		if (delta != NULL)
			for (j = 0; j < n; j++)
				delta[j] = o[c] * ((j == c ? 1.0 : 0.0) - o[j]);
		return o[c];
	}

	/*
	 * nn_outputs_to_proba: q_j = clip((o_j - lo) / (hi - lo), floor, 1),
	 * p_c = q_c / sum q; d p_c / d q_j = (1{c = j} sum - q_c) / sum^2
	 */
	nn_target_bounds(layout->output_act, &lo, &hi);
	for (j = 0; j < n; j++)
	{
		double		q = (o[j] - lo) / ((double) hi - lo);

		q = q < NN_PROBA_FLOOR ? NN_PROBA_FLOOR : (q > 1.0 ? 1.0 : q);
		if (j == c)
			q_c = q;
		sum += q;
	}
	if (delta != NULL)
		for (j = 0; j < n; j++)
		{
			double		raw = (o[j] - lo) / ((double) hi - lo);
			double		dq = raw > NN_PROBA_FLOOR && raw < 1.0 ? 1.0 / ((double) hi - lo) : 0.0;

			delta[j] = ((j == c ? sum : 0.0) - q_c) / (sum * sum) * dq *
				derivative(layout->output_act, o[j]);
		}
	return q_c / sum;
}

/*
 * the target's value at inputs z in float8, and its gradient there when grad
 * is not NULL
 */
double
attr_gradient(const NnLayout *layout, const float *weights, const AttrTarget *target,
			  const double *z, double *grad, double *work)
{
	double	   *act[NN_MAX_LAYERS + 1];
	double	   *delta = work,
			   *prev = work + nn_widest_layer(layout),
			   *next = prev + nn_widest_layer(layout);
	double		value;
	int			l,
				j,
				k;

	/* the forward pass, keeping every layer's outputs */
	for (l = 0; l <= layout->n_layers; l++)
	{
		act[l] = next;
		next += layout->sizes[l];
	}
	memcpy(act[0], z, sizeof(double) * layout->sizes[0]);
	for (l = 0; l < layout->n_layers; l++)
	{
		const float *w = weights + nn_layer_offset(layout, l);
		int			n_in = layout->sizes[l],
					n_out = layout->sizes[l + 1];
		double	   *out = act[l + 1];

		for (j = 0; j < n_out; j++)
			out[j] = w[(size_t) n_in * n_out + j];	/* the biases' row */
		for (k = 0; k < n_in; k++)
		{
			double		x = act[l][k];
			const float *row = w + (size_t) k * n_out;

			if (x != 0.0)
				for (j = 0; j < n_out; j++)
					out[j] += x * row[j];
		}
		activate(l + 1 == layout->n_layers ? layout->output_act : layout->hidden_act,
				 out, n_out);
	}

	value = output_delta(layout, target, act[layout->n_layers], grad ? delta : NULL);
	if (grad == NULL)
		return value;

	/* the backward pass: delta holds d value / d (layer l + 1's pre-activations) */
	for (l = layout->n_layers - 1; l >= 0; l--)
	{
		const float *w = weights + nn_layer_offset(layout, l);
		int			n_in = layout->sizes[l],
					n_out = layout->sizes[l + 1];
		double	   *into = l == 0 ? grad : prev;

		for (k = 0; k < n_in; k++)
		{
			const float *row = w + (size_t) k * n_out;
			double		s = 0.0;

			for (j = 0; j < n_out; j++)
				s += row[j] * delta[j];
			into[k] = l == 0 ? s : s * derivative(layout->hidden_act, act[l][k]);
		}
		if (l > 0)
		{
			double	   *swap = delta;

			delta = prev;
			prev = swap;
		}
	}
	return value;
}

#define FIRST_PANELS 16

/* the point z0 + t (z - z0) */
static void
path_point(const double *z, const double *z0, int n, double t, double *point)
{
	int			i;

	for (i = 0; i < n; i++)
		point[i] = z0[i] + t * (z[i] - z0[i]);
}

/*
 * 2-point Gauss-Legendre on panel p: the contributions it adds (into sum,
 * when not NULL), and its error against p->fb - p->fa
 */
static double
panel_quadrature(const NnLayout *layout, const float *weights, const AttrTarget *target,
				 const double *z, const double *z0, const AttrPanel *p, double *sum,
				 double *point, double *grad, double *work)
{
	const double node = 0.57735026918962576451;	/* 1/sqrt(3), weight 1 */
	double		half = 0.5 * (p->b - p->a),
				mid = 0.5 * (p->a + p->b),
				along = 0.0;
	int			n = layout->sizes[0],
				i,
				k;

	for (k = -1; k <= 1; k += 2)
	{
		path_point(z, z0, n, mid + k * node * half, point);
		(void) attr_gradient(layout, weights, target, point, grad, work);
		for (i = 0; i < n; i++)
		{
			double		c = half * grad[i] * (z[i] - z0[i]);

			along += c;
			if (sum != NULL)
				sum[i] += c;
		}
	}
	return fabs(along - (p->fb - p->fa));
}

/* the max-heap of panels by error: move panel i up, or down, to its place */
static void
heap_up(AttrPanel *heap, int i)
{
	while (i > 0 && heap[(i - 1) / 2].error < heap[i].error)
	{
		AttrPanel	swap = heap[i];

		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = swap;
		i = (i - 1) / 2;
	}
}

/* move panel i down the max-heap of panels by error, to its place */
static void
heap_down(AttrPanel *heap, int n, int i)
{
	for (;;)
	{
		int			largest = i,
					l = 2 * i + 1,
					r = l + 1;
		AttrPanel	swap;

		if (l < n && heap[l].error > heap[largest].error)
			largest = l;
		if (r < n && heap[r].error > heap[largest].error)
			largest = r;
		if (largest == i)
			return;
		swap = heap[i];
		heap[i] = heap[largest];
		heap[largest] = swap;
		i = largest;
	}
}

/* integrated gradients from z0 to z, panels refined until within tolerance */
int
attr_integrated_gradients(const NnLayout *layout, const float *weights,
						  const AttrTarget *target, const double *z, const double *z0,
						  double tolerance, AttrPanel *panels, int max_panels,
						  double *contribution, double *point, double *grad, double *work,
						  void (*step_done) (void *arg), void *arg)
{
	int			n = layout->sizes[0],
				count = 0,
				p;
	double		f_prev = attr_gradient(layout, weights, target, z0, NULL, work);

	/* FIRST_PANELS equal panels, then the worst halved while the errors exceed tolerance */
	for (p = 0; p < FIRST_PANELS; p++)
	{
		AttrPanel  *panel = &panels[count];

		panel->a = (double) p / FIRST_PANELS;
		panel->b = (double) (p + 1) / FIRST_PANELS;
		panel->fa = f_prev;
		path_point(z, z0, n, panel->b, point);
		panel->fb = p + 1 == FIRST_PANELS ? attr_gradient(layout, weights, target, z, NULL, work) :
			attr_gradient(layout, weights, target, point, NULL, work);
		f_prev = panel->fb;
		panel->error = panel_quadrature(layout, weights, target, z, z0, panel, NULL, point, grad, work);
		heap_up(panels, count++);
		if (step_done != NULL)
			step_done(arg);
	}
	while (count + 1 <= max_panels)
	{
		AttrPanel	worst = panels[0],
					left,
					right;
		double		total = 0.0;

		for (p = 0; p < count; p++)
			total += panels[p].error;
		if (total <= tolerance)
			break;
		left = worst;
		right = worst;
		left.b = right.a = 0.5 * (worst.a + worst.b);
		path_point(z, z0, n, left.b, point);
		left.fb = right.fa = attr_gradient(layout, weights, target, point, NULL, work);
		left.error = panel_quadrature(layout, weights, target, z, z0, &left, NULL, point, grad, work);
		right.error = panel_quadrature(layout, weights, target, z, z0, &right, NULL, point, grad, work);
		panels[0] = left;
		heap_down(panels, count, 0);
		panels[count] = right;
		heap_up(panels, count++);
		if (step_done != NULL)
			step_done(arg);
	}

	/* the contributions, from the panels kept */
	memset(contribution, 0, sizeof(double) * n);
	for (p = 0; p < count; p++)
	{
		(void) panel_quadrature(layout, weights, target, z, z0, &panels[p], contribution,
								point, grad, work);
		if (step_done != NULL)
			step_done(arg);
	}
	return 2 * count;
}
