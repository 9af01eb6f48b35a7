/*
 * onnx_proto.h — a small writer of the protobuf wire format (varints,
 * length-delimited fields, little-endian fixed-width numbers), enough for
 * the ONNX messages src/onnx.c writes.  No protobuf library: a message is a
 * StringInfo, and a nested message is written into its own buffer, then
 * appended to its parent with its length.  Fields are written in the order
 * the caller gives, so the bytes depend on the input alone.
 */
#ifndef BPNN_ONNX_PROTO_H
#define BPNN_ONNX_PROTO_H

#include "lib/stringinfo.h"

/* a field of wire type 0 (varint): int32, int64, enum, bool */
extern void onnx_pb_int(StringInfo buf, int field, int64 value);

/* a field of wire type 2: bytes, or a string without its terminator */
extern void onnx_pb_bytes(StringInfo buf, int field, const void *data, Size len);
extern void onnx_pb_string(StringInfo buf, int field, const char *s);

/* a nested message (wire type 2): sub's bytes with their length */
extern void onnx_pb_message(StringInfo buf, int field, StringInfo sub);

/*
 * The little-endian bytes of n numbers of width 4 (float4) or 8 (float8),
 * appended to buf: the raw_data of an ONNX tensor
 */
extern void onnx_pb_append_le(StringInfo buf, const void *values, Size n, int width);

#endif							/* BPNN_ONNX_PROTO_H */
