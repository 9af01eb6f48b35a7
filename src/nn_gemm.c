/*
 * nn_gemm.c — the batch products of training and batch scoring (see
 * nn_gemm.h): out = start + x W, and the error products g += x^T d.
 *
 * They are register-tiled, and the best tile depends on the register file:
 * AVX-512 has 32 registers of 16 floats, AVX2 16 of 8, SSE2 16 of 4.  So
 * the tiles (nn_gemm_tiles.h) are compiled once per x86-64 level, each
 * inside a #pragma GCC target, and the level is chosen once at run time,
 * as the kernel clones of nn.c are (target_clones cannot tell a clone
 * which one it is).  A build without clones (BPNN_NO_CLONES, another
 * compiler or CPU) compiles them once, for the -march it is given.
 *
 * The bits do not depend on the tile, the level, the number of rows
 * passed at once or the chunking: every sum adds its terms one at a time
 * in the plain loop's order (its start value, then input 0, 1, ... for a
 * product; rows 0, 1, ... for an error product), with no fused
 * multiply-add (-ffp-contract=off).  The zero skips are those of the
 * plain rule as nn.c has always applied it: a product skips an input that
 * is 0 in all four rows of a group of rows (rows 0-3, 4-7, ..., the last
 * rows one at a time); an error product skips a row whose four inputs of
 * a group (inputs 0-3, 4-7, ...) are all 0.  A sum that a skipped zero
 * term would change is only -0 plus +0, and a -0 start.
 */
#include "nn_gemm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* rows of a product, or inputs of an error product, that skip zeros together */
#define GEMM_ROWS 4
/* inputs (or rows) per zero-padded copy of the last columns */
#define GEMM_CHUNK 256

/* whether the n values are all 0 (either sign; a NaN is not 0) */
static inline __attribute__((always_inline)) bool
gemm_all_zero(const float *a, const int n)
{
	uint32_t	bits = 0,
				u;
	int			r;

	for (r = 0; r < n; r++)
	{
		memcpy(&u, &a[r], sizeof(u));
		bits |= u;
	}
	return (bits & 0x7fffffffu) == 0;
}

/*
 * the n_cols < lanes first columns of n_rows rows (stride apart) into rows
 * of `lanes` floats, zero-padded
 */
static inline void
gemm_pad_columns(float *restrict pad, const int lanes, const float *restrict src,
				 int stride, int n_rows, int n_cols)
{
	int			i,
				t;

	for (i = 0; i < n_rows; i++)
		for (t = 0; t < lanes; t++)
			pad[(size_t) i * lanes + t] = t < n_cols ? src[(size_t) i * stride + t] : 0.0f;
}

/* the reverse: the first n_cols columns of n_rows padded rows back into rows stride apart */
static inline void
gemm_unpad_columns(float *restrict dst, int stride, const float *restrict pad, const int lanes,
				   int n_rows, int n_cols)
{
	int			i,
				t;

	for (i = 0; i < n_rows; i++)
		for (t = 0; t < n_cols; t++)
			dst[(size_t) i * stride + t] = pad[(size_t) i * lanes + t];
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(BPNN_NO_CLONES)

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#define GEMM_NAME(name) gemm_v4_##name
#include "nn_gemm_tiles.h"
#undef GEMM_NAME
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define GEMM_NAME(name) gemm_v3_##name
#include "nn_gemm_tiles.h"
#undef GEMM_NAME
#pragma GCC pop_options

#define GEMM_NAME(name) gemm_base_##name
#include "nn_gemm_tiles.h"
#undef GEMM_NAME

/* 4: x86-64-v4, 3: x86-64-v3, 1: the baseline; what target_clones picks */
static int
gemm_level(void)
{
	static int	level = 0;

	if (level == 0)
	{
		__builtin_cpu_init();
		level = __builtin_cpu_supports("x86-64-v4") ? 4 :
			__builtin_cpu_supports("x86-64-v3") ? 3 : 1;
	}
	return level;
}

/* out = start + x w, with the tiles of this CPU's level */
void
nn_gemm_product(const float *x, int n_in, const float *w, int n_out,
				const float *start, float *out, int rows)
{
	switch (gemm_level())
	{
		case 4:
			gemm_v4_product(x, n_in, w, n_out, start, out, rows);
			break;
		case 3:
			gemm_v3_product(x, n_in, w, n_out, start, out, rows);
			break;
		default:
			gemm_base_product(x, n_in, w, n_out, start, out, rows);
			break;
	}
}

/* g += x^T d (and the biases' sums), with the tiles of this CPU's level */
void
nn_gemm_accumulate(const float *x, int n_in, const float *d, int n_o, int rows, float *g)
{
	switch (gemm_level())
	{
		case 4:
			gemm_v4_accumulate(x, n_in, d, n_o, rows, g);
			break;
		case 3:
			gemm_v3_accumulate(x, n_in, d, n_o, rows, g);
			break;
		default:
			gemm_base_accumulate(x, n_in, d, n_o, rows, g);
			break;
	}
}

#else							/* one build, for the compiler's target */

#define GEMM_NAME(name) gemm_##name
#include "nn_gemm_tiles.h"
#undef GEMM_NAME

/* out = start + x w, with the tiles of the build's target */
void
nn_gemm_product(const float *x, int n_in, const float *w, int n_out,
				const float *start, float *out, int rows)
{
	gemm_product(x, n_in, w, n_out, start, out, rows);
}

/* g += x^T d (and the biases' sums), with the tiles of the build's target */
void
nn_gemm_accumulate(const float *x, int n_in, const float *d, int n_o, int rows, float *g)
{
	gemm_accumulate(x, n_in, d, n_o, rows, g);
}

#endif
