/*
 * nn_gemm_tiles.h — the register tiles of the batch products for one
 * instruction set, included by nn_gemm.c once per level it builds (inside
 * a #pragma GCC target, which also sets __AVX512F__, __AVX__ ...): every
 * name goes through GEMM_NAME, so each inclusion makes its own copies.
 * Not a header to include anywhere else.
 *
 * A vector is one register: 16 floats with AVX-512 (zmm), 8 with AVX (ymm),
 * 4 otherwise (xmm).  A tile is GEMM_ROWS rows (inputs, for the error
 * products) by up to GEMM_WIDE vectors of columns: GEMM_ROWS * GEMM_WIDE
 * independent sums, so that no addition waits for the one before, with
 * room left in the register file for the loads and broadcasts: 4 x 4 zmm
 * of 32 registers; with 16 registers (AVX2, SSE2) 4 x 2, as 4 x 3 took
 * 15-25% more time there (test/bench/cv-<arch> on letter and MNIST).
 */
#if defined(__AVX512F__)
#define GEMM_LANES 16
#define GEMM_WIDE 4
#elif defined(__AVX__)
#define GEMM_LANES 8
#define GEMM_WIDE 2
#else
#define GEMM_LANES 4
#define GEMM_WIDE 2
#endif

typedef float GEMM_NAME(Vec) __attribute__((vector_size(GEMM_LANES * 4)));
typedef float GEMM_NAME(VecU) __attribute__((vector_size(GEMM_LANES * 4), aligned(4)));

#define VEC GEMM_NAME(Vec)
#define LOAD(p) (*(const GEMM_NAME(VecU) *) (p))
#define STORE(p, v) (*(GEMM_NAME(VecU) *) (p) = (v))

/*
 * One step of a tile: acc[r * (nv + tail) + b] += a[r] * v_b for its
 * n_rows rows, where v_b is vector b from v, and (if tail) v_nv the vector
 * at t
 */
static inline __attribute__((always_inline)) void
GEMM_NAME(add_products) (VEC *acc, const float *a, const int n_rows, const float *restrict v,
						 const int nv, const int tail, const float *restrict t)
{
	const int	nb = nv + tail;
	int			r,
				b;

	for (b = 0; b < nb; b++)
	{
		VEC			u = LOAD(b < nv ? v + b * GEMM_LANES : t);

		for (r = 0; r < n_rows; r++)
			acc[r * nb + b] += a[r] * u;
	}
}

/*
 * One tile of out = init + x w over inputs k0..k1-1: n_rows (GEMM_ROWS or
 * 1) rows of x (row r at x + r * n_in) by nv vectors of w's columns (w
 * points at the tile's first column, rows n_out apart), then, if tail, one
 * more vector from pad (the last columns, zero-padded, GEMM_LANES apart,
 * row 0 for input k0).  The whole vectors start from init (row r at
 * init + r * init_stride; NULL: zeros) and go to out (rows n_out apart);
 * the tail vector starts from and goes back to tbuf (rows GEMM_LANES apart).
 * An input that is 0 in all n_rows rows is skipped.
 */
static inline __attribute__((always_inline)) void
GEMM_NAME(product_tile) (const float *restrict x, int n_in, int k0, int k1,
						 const float *restrict w, int n_out, const int nv, const int tail,
						 const float *restrict pad, const float *init, size_t init_stride,
						 float *out, float *restrict tbuf, const int n_rows)
{
	VEC			acc[GEMM_ROWS * GEMM_WIDE];
	const int	nb = nv + tail;
	int			k,
				r,
				b;

	for (r = 0; r < n_rows; r++)
	{
		for (b = 0; b < nv; b++)
			acc[r * nb + b] = init ? LOAD(init + r * init_stride + b * GEMM_LANES) : (VEC) {0};
		if (tail)
			acc[r * nb + nv] = LOAD(tbuf + r * GEMM_LANES);
	}
	for (k = k0; k < k1; k++)
	{
		const float *restrict wk = w + (size_t) k * n_out;
		float		a[GEMM_ROWS];

		for (r = 0; r < n_rows; r++)
			a[r] = x[(size_t) r * n_in + k];
		if (gemm_all_zero(a, n_rows))
			continue;
		GEMM_NAME(add_products) (acc, a, n_rows, wk, nv, tail,
								 tail ? pad + (size_t) (k - k0) * GEMM_LANES : NULL);
	}
	for (r = 0; r < n_rows; r++)
	{
		for (b = 0; b < nv; b++)
			STORE(out + (size_t) r * n_out + b * GEMM_LANES, acc[r * nb + b]);
		if (tail)
			STORE(tbuf + r * GEMM_LANES, acc[r * nb + nv]);
	}
}

/*
 * Calls TILE(nv, tail) with constants for the shape of the last columns:
 * nv whole vectors (fewer than GEMM_WIDE), and one padded vector if tail
 */
#define GEMM_LAST_TILE_2(TILE) \
		case 1: TILE(0, 1); break; \
		case 2: TILE(1, 0); break;
#define GEMM_LAST_TILE_3(TILE) GEMM_LAST_TILE_2(TILE) \
		case 3: TILE(1, 1); break; \
		case 4: TILE(2, 0); break;
#define GEMM_LAST_TILE_4(TILE) GEMM_LAST_TILE_3(TILE) \
		case 5: TILE(2, 1); break; \
		case 6: TILE(3, 0); break;
#if GEMM_WIDE == 4
#define GEMM_LAST_TILE(TILE, nv, tail) \
	switch ((nv) * 2 + (tail)) { GEMM_LAST_TILE_4(TILE) case 7: TILE(3, 1); break; }
#else
#define GEMM_LAST_TILE(TILE, nv, tail) \
	switch ((nv) * 2 + (tail)) { GEMM_LAST_TILE_2(TILE) case 3: TILE(1, 1); break; }
#endif

/*
 * Rows x (n_rows of them, the group whose zero inputs are skipped together)
 * of out = start + x w over inputs k0..k1-1: from start (k0 == 0) or from
 * the sums out holds (a later chunk of inputs), whole tiles then the last
 * columns; rem > 0 columns past the whole vectors come from pad
 */
static inline __attribute__((always_inline)) void
GEMM_NAME(product_group) (const float *restrict x, int n_in, int k0, int k1,
						  const float *restrict w, int n_out, const float *restrict start,
						  float *out, const float *restrict pad, int rem, const int n_rows)
{
	const int	full = n_out / GEMM_LANES;
	const int	j_tail = full * GEMM_LANES;
	const float *init = k0 == 0 ? start : out;
	const int	init_stride = k0 == 0 ? 0 : n_out;
	float		tbuf[GEMM_ROWS * GEMM_LANES] __attribute__((aligned(64)));
	int			v;

	for (v = 0; v + GEMM_WIDE <= full; v += GEMM_WIDE)
		GEMM_NAME(product_tile) (x, n_in, k0, k1, w + v * GEMM_LANES, n_out, GEMM_WIDE, 0, NULL,
								 init ? init + v * GEMM_LANES : NULL, init_stride,
								 out + v * GEMM_LANES, NULL, n_rows);
	if (rem && init)
		gemm_pad_columns(tbuf, GEMM_LANES, init + j_tail, init_stride, n_rows, rem);
	else if (rem)
		memset(tbuf, 0, sizeof(tbuf));
#define GEMM_PRODUCT_LAST(nv_, tail_) \
	GEMM_NAME(product_tile) (x, n_in, k0, k1, w + v * GEMM_LANES, n_out, nv_, tail_, pad, \
							 init ? init + v * GEMM_LANES : NULL, init_stride, \
							 out + v * GEMM_LANES, tbuf, n_rows)
	GEMM_LAST_TILE(GEMM_PRODUCT_LAST, full - v, rem > 0);
#undef GEMM_PRODUCT_LAST
	if (rem)
		gemm_unpad_columns(out + j_tail, n_out, tbuf, GEMM_LANES, n_rows, rem);
}

/*
 * out (rows x n_out) = start + x (rows x n_in) w (n_in x n_out); start: a
 * row of n_out values added to every row, or NULL for zeros.  Rows go in
 * groups of GEMM_ROWS, then one at a time.  Columns past the last whole
 * vector are read into a zero-padded copy, GEMM_CHUNK inputs at a time
 * (the sums so far wait in out between chunks: a float stored and loaded
 * again is the same float).
 */
static void
GEMM_NAME(product) (const float *restrict x, int n_in, const float *restrict w, int n_out,
					const float *restrict start, float *restrict out, int rows)
{
	const int	full = n_out / GEMM_LANES;
	const int	rem = n_out - full * GEMM_LANES;
	const int	chunk = rem ? GEMM_CHUNK : n_in;
	float		pad[GEMM_CHUNK * GEMM_LANES] __attribute__((aligned(64)));
	int			k0,
				i;

	for (k0 = 0; k0 < n_in; k0 += chunk)
	{
		const int	k1 = n_in - k0 < chunk ? n_in : k0 + chunk;

		if (rem)
			gemm_pad_columns(pad, GEMM_LANES, w + (size_t) k0 * n_out + full * GEMM_LANES,
							 n_out, k1 - k0, rem);
		for (i = 0; i + GEMM_ROWS <= rows; i += GEMM_ROWS)
			GEMM_NAME(product_group) (x + (size_t) i * n_in, n_in, k0, k1, w, n_out, start,
									  out + (size_t) i * n_out, pad, rem, GEMM_ROWS);
		for (; i < rows; i++)
			GEMM_NAME(product_group) (x + (size_t) i * n_in, n_in, k0, k1, w, n_out, start,
									  out + (size_t) i * n_out, pad, rem, 1);
	}
}

/*
 * One tile of g += x^T d over rows i0..i1-1: inputs k..k+n_k-1 (n_k <=
 * GEMM_ROWS; a missing input counts as 0) by nv vectors of d's columns (d
 * points at the tile's first column of row 0, rows n_o apart; g likewise at
 * row k), then, if tail, one more vector of d from pad (row 0 for row i0)
 * whose sums start from and go back to tbuf.  A row whose n_k inputs are
 * all 0 is skipped.
 */
static inline __attribute__((always_inline)) void
GEMM_NAME(error_tile) (const float *restrict x_all, int n_in, int k, const int n_k,
					   const float *restrict d_all, int n_o, int i0, int i1, const int nv,
					   const int tail, const float *restrict pad, float *restrict g,
					   float *restrict tbuf)
{
	VEC			acc[GEMM_ROWS * GEMM_WIDE];
	const int	nb = nv + tail;
	int			i,
				r,
				b;

	for (r = 0; r < GEMM_ROWS; r++)
	{
		for (b = 0; b < nv; b++)
			acc[r * nb + b] = r < n_k ? LOAD(g + (size_t) r * n_o + b * GEMM_LANES) : (VEC) {0};
		if (tail)
			acc[r * nb + nv] = LOAD(tbuf + r * GEMM_LANES);
	}
	for (i = i0; i < i1; i++)
	{
		const float *restrict xi = x_all + (size_t) i * n_in + k;
		const float *restrict di = d_all + (size_t) i * n_o;
		float		a[GEMM_ROWS];

		for (r = 0; r < GEMM_ROWS; r++)
			a[r] = r < n_k ? xi[r] : 0.0f;
		if (gemm_all_zero(a, GEMM_ROWS))
			continue;
		GEMM_NAME(add_products) (acc, a, GEMM_ROWS, di, nv, tail,
								 tail ? pad + (size_t) (i - i0) * GEMM_LANES : NULL);
	}
	for (r = 0; r < n_k; r++)
	{
		for (b = 0; b < nv; b++)
			STORE(g + (size_t) r * n_o + b * GEMM_LANES, acc[r * nb + b]);
		if (tail)
			STORE(tbuf + r * GEMM_LANES, acc[r * nb + nv]);
	}
}

/* inputs k..k+n_k-1 of the error products over rows i0..i1-1: whole tiles, then the last columns */
static inline __attribute__((always_inline)) void
GEMM_NAME(error_group) (const float *restrict x_all, int n_in, int k, const int n_k,
						const float *restrict d_all, int n_o, int i0, int i1,
						const float *restrict pad, int rem, float *restrict g)
{
	const int	full = n_o / GEMM_LANES;
	const int	j_tail = full * GEMM_LANES;
	float		tbuf[GEMM_ROWS * GEMM_LANES] __attribute__((aligned(64)));
	float	   *gk = g + (size_t) k * n_o;
	int			v;

	for (v = 0; v + GEMM_WIDE <= full; v += GEMM_WIDE)
		GEMM_NAME(error_tile) (x_all, n_in, k, n_k, d_all + v * GEMM_LANES, n_o, i0, i1,
							   GEMM_WIDE, 0, NULL, gk + v * GEMM_LANES, NULL);
	if (rem)
	{
		memset(tbuf, 0, sizeof(tbuf));
		gemm_pad_columns(tbuf, GEMM_LANES, gk + j_tail, n_o, n_k, rem);
	}
#define GEMM_ERROR_LAST(nv_, tail_) \
	GEMM_NAME(error_tile) (x_all, n_in, k, n_k, d_all + v * GEMM_LANES, n_o, i0, i1, \
						   nv_, tail_, pad, gk + v * GEMM_LANES, tbuf)
	GEMM_LAST_TILE(GEMM_ERROR_LAST, full - v, rem > 0);
#undef GEMM_ERROR_LAST
	if (rem)
		gemm_unpad_columns(gk + j_tail, n_o, tbuf, GEMM_LANES, n_k, rem);
}

/*
 * g ((n_in + 1) x n_o) += x^T d over rows x (rows x n_in) and d (rows x
 * n_o); the bias row adds d itself (a constant input 1).  Inputs go in
 * groups of GEMM_ROWS; each sum adds the rows in order, one at a time.
 * Rows go GEMM_CHUNK at a time when d has columns past its last whole
 * vector (read into a zero-padded copy per chunk); the sums so far wait
 * in g between chunks.
 */
static void
GEMM_NAME(accumulate) (const float *restrict x_all, int n_in, const float *restrict d_all,
					   int n_o, int rows, float *restrict g)
{
	const int	full = n_o / GEMM_LANES;
	const int	rem = n_o - full * GEMM_LANES;
	const int	chunk = rem ? GEMM_CHUNK : rows;
	float	   *restrict g_bias = g + (size_t) n_in * n_o;
	float		pad[GEMM_CHUNK * GEMM_LANES] __attribute__((aligned(64)));
	int			i0,
				i,
				k,
				v,
				t;

	for (i0 = 0; i0 < rows; i0 += chunk)
	{
		const int	i1 = rows - i0 < chunk ? rows : i0 + chunk;

		if (rem)
			gemm_pad_columns(pad, GEMM_LANES, d_all + (size_t) i0 * n_o + full * GEMM_LANES,
							 n_o, i1 - i0, rem);
		for (k = 0; k + GEMM_ROWS <= n_in; k += GEMM_ROWS)
			GEMM_NAME(error_group) (x_all, n_in, k, GEMM_ROWS, d_all, n_o, i0, i1, pad, rem, g);
		if (k < n_in)
			GEMM_NAME(error_group) (x_all, n_in, k, n_in - k, d_all, n_o, i0, i1, pad, rem, g);

		/* the biases: every row, in order */
		for (v = 0; v < full; v++)
		{
			VEC			acc = LOAD(g_bias + v * GEMM_LANES);

			for (i = i0; i < i1; i++)
				acc += LOAD(d_all + (size_t) i * n_o + v * GEMM_LANES);
			STORE(g_bias + v * GEMM_LANES, acc);
		}
		if (rem)
		{
			VEC			acc = {0};

			for (t = 0; t < rem; t++)
				acc[t] = g_bias[full * GEMM_LANES + t];
			for (i = i0; i < i1; i++)
				acc += LOAD(pad + (size_t) (i - i0) * GEMM_LANES);
			for (t = 0; t < rem; t++)
				g_bias[full * GEMM_LANES + t] = acc[t];
		}
	}
}

#undef VEC
#undef LOAD
#undef STORE
#undef GEMM_LAST_TILE
#undef GEMM_LAST_TILE_2
#undef GEMM_LAST_TILE_3
#undef GEMM_LAST_TILE_4
#undef GEMM_LANES
#undef GEMM_WIDE
