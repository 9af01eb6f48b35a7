/*
 * onnx_proto.c — the protobuf wire format writer of onnx_proto.h: tags,
 * varints, length-delimited fields, and little-endian numbers whatever the
 * host's byte order.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "onnx_proto.h"

#define ONNX_PB_VARINT 0
#define ONNX_PB_LENGTH_DELIMITED 2

/* an unsigned varint: 7 bits a byte, low first, the high bit saying "more" */
static void
onnx_pb_varint(StringInfo buf, uint64 v)
{
	char		bytes[10];
	int			n = 0;

	do
	{
		bytes[n] = (char) (v & 0x7F);
		v >>= 7;
		if (v != 0)
			bytes[n] |= (char) 0x80;
		n++;
	} while (v != 0);
	appendBinaryStringInfo(buf, bytes, n);
}

/* a field's tag: its number and wire type as a varint */
static void
onnx_pb_tag(StringInfo buf, int field, int wire_type)
{
	onnx_pb_varint(buf, ((uint64) field << 3) | (uint64) wire_type);
}

/* an integer field (varint; negative numbers in ten bytes) */
void
onnx_pb_int(StringInfo buf, int field, int64 value)
{
	onnx_pb_tag(buf, field, ONNX_PB_VARINT);
	/* a negative int32 or int64 is its two's complement in ten bytes */
	onnx_pb_varint(buf, (uint64) value);
}

/* a length-delimited field of bytes */
void
onnx_pb_bytes(StringInfo buf, int field, const void *data, Size len)
{
	onnx_pb_tag(buf, field, ONNX_PB_LENGTH_DELIMITED);
	onnx_pb_varint(buf, (uint64) len);
	appendBinaryStringInfo(buf, data, (int) len);
}

/* a length-delimited field of a string's bytes */
void
onnx_pb_string(StringInfo buf, int field, const char *s)
{
	onnx_pb_bytes(buf, field, s, strlen(s));
}

/* a submessage as a length-delimited field */
void
onnx_pb_message(StringInfo buf, int field, StringInfo sub)
{
	onnx_pb_bytes(buf, field, sub->data, sub->len);
}

/* a uint32's four bytes, low first */
static void
append_le32(char *out, uint32 v)
{
	out[0] = (char) (v & 0xFF);
	out[1] = (char) ((v >> 8) & 0xFF);
	out[2] = (char) ((v >> 16) & 0xFF);
	out[3] = (char) ((v >> 24) & 0xFF);
}

/*
 * n values of width 4 or 8 bytes, little-endian, as ONNX's raw_data holds
 * them
 */
void
onnx_pb_append_le(StringInfo buf, const void *values, Size n, int width)
{
	const char *v = values;
	char		bytes[8];
	Size		i;

	Assert(width == 4 || width == 8);
	for (i = 0; i < n; i++)
	{
		uint32		bits32;
		uint64		bits64;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (width == 4)
		{
			memcpy(&bits32, v + i * 4, sizeof(bits32));
			append_le32(bytes, bits32);
		}
		else
		{
			memcpy(&bits64, v + i * 8, sizeof(bits64));
			append_le32(bytes, (uint32) (bits64 & 0xFFFFFFFF));
			append_le32(bytes + 4, (uint32) (bits64 >> 32));
		}
		appendBinaryStringInfo(buf, bytes, width);
	}
}
