/*
 * nn_gemm.h — the batch products of the network math (nn_gemm.c): a
 * layer's pre-activations for many rows, and the error products that sum
 * the gradient.  Plain C, no PostgreSQL headers; only nn.c calls them.
 */
#ifndef BPNN_NN_GEMM_H
#define BPNN_NN_GEMM_H

/*
 * out (rows x n_out) = start + x (rows x n_in) * w (n_in x n_out, row
 * major); start: n_out values added to every row, or NULL for zeros
 */
extern void nn_gemm_product(const float *x, int n_in, const float *w, int n_out,
							const float *start, float *out, int rows);

/*
 * g ((n_in + 1) x n_o, the bias row last) += x^T d, with a constant input 1
 * for the biases: x is rows x n_in, d rows x n_o
 */
extern void nn_gemm_accumulate(const float *x, int n_in, const float *d, int n_o,
							   int rows, float *g);

#endif							/* BPNN_NN_GEMM_H */
