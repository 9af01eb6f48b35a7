/*
 * attribution.h — the math of bpnn_explain: one output of a network and
 * its gradient with respect to the (normalized) inputs, in float8, and the
 * integrated gradients of a row against a baseline (see attribution.c).
 *
 * Plain C99 with no PostgreSQL headers, like nn.h: it reads a model's
 * layout and float4 weights and allocates nothing.
 */
#ifndef BPNN_ATTRIBUTION_H
#define BPNN_ATTRIBUTION_H

#include "nn.h"

/* what number of the network is explained */
typedef enum AttrKind
{
	ATTR_PROBABILITY,			/* a class's probability, as nn_outputs_to_proba
								 * gives it (softmax, or rescaled outputs) */
	ATTR_VALUE					/* a linear output in the label's units:
								 * output * scale + shift (a regressor) */
} AttrKind;

typedef struct AttrTarget
{
	AttrKind	kind;
	int			unit;			/* the output unit (the class) */
	double		scale;			/* ATTR_VALUE: the label's units */
	double		shift;
} AttrTarget;

/* doubles of scratch memory attr_gradient needs for the layout */
extern size_t attr_work_doubles(const NnLayout *layout);

/*
 * The target's value at inputs z (sizes[0] normalized inputs), computed in
 * float8 from the float4 weights; when grad is not NULL, its gradient with
 * respect to z there (backpropagated in float8).  A ReLU at exactly 0 and
 * a probability at its clip bound take the derivative 0.
 */
extern double attr_gradient(const NnLayout *layout, const float *weights,
							const AttrTarget *target, const double *z,
							double *grad, double *work);

/* a piece [a, b] of the path, the target's values at its ends, its error */
typedef struct AttrPanel
{
	double		a,
				b,
				fa,
				fb,
				error;
} AttrPanel;

/*
 * Integrated gradients (Sundararajan et al., 2017) along the straight line
 * from baseline z0 to z: contribution[i] = (z[i] - z0[i]) * the integral
 * over t in [0, 1] of d target / d z[i] at z0 + t (z - z0).
 *
 * The integral is taken by global adaptive quadrature (as QUADPACK's
 * QAG): 2-point Gauss-Legendre on panels, the panel of largest error
 * halved until the errors add up to at most tolerance, or max_panels
 * panels (the scratch `panels` holds that many).  A panel's error is
 * exact, not estimated: the contributions of a panel [a, b] must add up
 * to target(b) - target(a) (completeness), so the sum of all contributions
 * is within tolerance of target(z) - target(z0) whenever max_panels
 * sufficed.  point and grad are scratch of sizes[0] doubles.  Calls
 * step_done (may be NULL) after every panel, with arg, so that the caller
 * can check for interrupts.  Returns the gradients the contributions
 * come from (2 per panel kept).
 */
extern int	attr_integrated_gradients(const NnLayout *layout, const float *weights,
									  const AttrTarget *target, const double *z,
									  const double *z0, double tolerance, AttrPanel *panels,
									  int max_panels, double *contribution, double *point,
									  double *grad, double *work,
									  void (*step_done) (void *arg), void *arg);

#endif							/* BPNN_ATTRIBUTION_H */
