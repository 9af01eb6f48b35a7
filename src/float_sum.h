/*
 * float_sum.h — one float buffer added into another, written so that the
 * compiler's -O2 (PGXS's level, whose cheapest vectorizer leaves a plain
 * loop scalar) emits vector adds: restrict pointers, eight at a time.
 * Each float's sum is the same one IEEE addition either way.  Used by
 * parallel training to add the slices' gradients (src/parallel_train.c)
 * and timed by test/bench/slice.c.
 */
#ifndef BPNN_FLOAT_SUM_H
#define BPNN_FLOAT_SUM_H

#include <stddef.h>

/* sum[i] += g[i] for i in [0, n) */
static inline void
float_sum_add(float *restrict sum, const float *restrict g, size_t n)
{
	size_t		i = 0;
	int			k;

	for (; i + 8 <= n; i += 8)
		for (k = 0; k < 8; k++)
			sum[i + k] += g[i + k];
	for (; i < n; i++)
		sum[i] += g[i];
}

#endif							/* BPNN_FLOAT_SUM_H */
