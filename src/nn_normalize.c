/*
 * nn_normalize.c — per-feature statistics and the scalers (see
 * nn_normalize.h).
 */
#include "nn_normalize.h"
#include "nn.h"

#include <math.h>
#include <string.h>

static const char *const method_names[NORM_METHOD_COUNT] = {
	"none", "decimal", "minmax", "zscore"
};

/* the name of a scaler */
const char *
norm_method_name(NormMethod method)
{
	return nn_name_of(method_names, NORM_METHOD_COUNT, (int) method);
}

/* the scaler of a name, or -1 */
int
norm_method_from_name(const char *name)
{
	return nn_value_of(method_names, NORM_METHOD_COUNT, name);
}

/* n features' statistics, empty */
void
feature_stats_init(FeatureStats *stats, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		stats[i].count = 0.0;
		stats[i].min = INFINITY;
		stats[i].max = -INFINITY;
		stats[i].mean = 0.0;
		stats[i].m2 = 0.0;
	}
}

/* add one row to the statistics (NaN values are not counted) */
void
feature_stats_add(FeatureStats *stats, const double *row, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		FeatureStats *s = &stats[i];
		double		x = row[i];
		double		delta = x - s->mean;

		if (isnan(x))
			continue;			/* a missing value */
		s->count += 1.0;
		s->mean += delta / s->count;
		s->m2 += delta * (x - s->mean);
		if (x < s->min)
			s->min = x;
		if (x > s->max)
			s->max = x;
	}
}

/*
 * merge another set of statistics into these (counts, means and M2 combined
 * exactly)
 */
void
feature_stats_combine(FeatureStats *into, const FeatureStats *from, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		FeatureStats *a = &into[i];
		const FeatureStats *b = &from[i];
		double		count,
					delta;

		if (b->count == 0.0)
			continue;
		if (a->count == 0.0)
		{
			*a = *b;
			continue;
		}
		count = a->count + b->count;
		delta = b->mean - a->mean;
		a->mean += delta * b->count / count;
		a->m2 += b->m2 + delta * delta * a->count * b->count / count;
		a->count = count;
		if (b->min < a->min)
			a->min = b->min;
		if (b->max > a->max)
			a->max = b->max;
	}
}

/*
 * decimal scaling's factor: the power of ten that brings max_abs into (1,
 * 10], 1 for none
 */
double
norm_decimal_scale(double max_abs)
{
	int			n;

	if (!(max_abs > 0.0) || !isfinite(max_abs))
		return 1.0;
	n = (int) floor(1.0 - log10(max_abs));
	/* log10 may be off by one ulp at exact powers of ten: settle exactly */
	while (max_abs * pow(10.0, n) > 10.0)
		n--;
	while (max_abs * pow(10.0, n + 1) <= 10.0)
		n++;
	return pow(10.0, n);
}

/* each feature's shift and scale under a scaler, from its statistics */
void
norm_fit(NormMethod method, const FeatureStats *stats, int n,
		 double *shift, double *scale)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		const FeatureStats *s = &stats[i];
		double		range = s->max - s->min;
		double		sd = s->count > 1.0 ? sqrt(s->m2 / (s->count - 1.0)) : 0.0;

		shift[i] = 0.0;
		scale[i] = 1.0;
		if (s->count == 0.0)
			continue;
		switch (method)
		{
			case NORM_NONE:
				break;
			case NORM_DECIMAL:
				scale[i] = norm_decimal_scale(fmax(fabs(s->min), fabs(s->max)));
				break;
			case NORM_MINMAX:
				shift[i] = s->min;
				scale[i] = range > 0.0 ? 10.0 / range : 1.0;
				break;
			case NORM_ZSCORE:
				shift[i] = s->mean;
				scale[i] = sd > 0.0 ? 1.0 / sd : 1.0;
				break;
		}
	}
}
