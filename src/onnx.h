/*
 * onnx.h — the ONNX file of a model (src/onnx.c), outside fmgr, so that the
 * libFuzzer harness (test/fuzz/fuzz_model.c) writes it for every model the
 * decoder accepts.
 */
#ifndef BPNN_ONNX_H
#define BPNN_ONNX_H

#include "model.h"

/* the model as an ONNX ModelProto; ERROR 0A000 for a model with text columns */
extern bytea *onnx_encode(const BpnnModel *m);

#endif							/* BPNN_ONNX_H */
