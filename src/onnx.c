/*
 * onnx.c — bpnn_onnx(model): the model as an ONNX ModelProto (IR version 8,
 * default-domain opset 13), for scoring outside the database with any ONNX
 * runtime.  The graph computes what bpnn_predict, bpnn_predict_proba and
 * bpnn_predict_values compute from the float8[] form of a row:
 *
 *   input  "features"       float [N, features], bpnn_info(model)->'features'
 *                           order; NaN is a missing value, replaced by the
 *                           model's imputed value when the model imputes
 *   the scaler              in float8, as the server applies it:
 *                           float(((double) x - shift) * scale)
 *   each layer              Gemm (weights [in, out], biases [out]) and the
 *                           activation: bipolar_sigmoid as Tanh(0.5 u), tanh,
 *                           sigmoid, relu, linear (none), softmax (axis 1)
 *   a classifier            "probabilities" float [N, classes], in
 *                           bpnn_classes(model) order (softmax outputs as
 *                           they are; squared-error outputs mapped to [0, 1],
 *                           floored and normalized in float8 as
 *                           nn_outputs_to_proba does), and "label" string [N],
 *                           the class of the largest output (ArgMax, then
 *                           Gather from the class names)
 *   a regressor             "value" float [N, outputs], in the label's units
 *                           (output * target scale + target shift, in float8)
 *
 * Models with text (category) feature columns are refused: the graph takes
 * one float tensor, as the float8[] form of bpnn_predict does, and that form
 * refuses them too.  The bytes depend on the model alone (no time stamp), so
 * the function is IMMUTABLE.  Protobuf encoding: onnx_proto.c.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/json.h"

#include "model.h"
#include "onnx.h"
#include "onnx_proto.h"

PG_FUNCTION_INFO_V1(bpnn_onnx);

#define ONNX_IR_VERSION 8
#define ONNX_OPSET 13

/* onnx.proto's TensorProto.DataType values */
#define ONNX_FLOAT 1
#define ONNX_INT64 7
#define ONNX_STRING 8
#define ONNX_DOUBLE 11

/* onnx.proto's AttributeProto.AttributeType values */
#define ONNX_ATTR_INT 2

/* field numbers of onnx.proto's messages */
#define MODEL_IR_VERSION 1
#define MODEL_PRODUCER_NAME 2
#define MODEL_PRODUCER_VERSION 3
#define MODEL_DOMAIN 4
#define MODEL_MODEL_VERSION 5
#define MODEL_DOC_STRING 6
#define MODEL_GRAPH 7
#define MODEL_OPSET_IMPORT 8
#define MODEL_METADATA_PROPS 14
#define OPSET_DOMAIN 1
#define OPSET_VERSION 2
#define ENTRY_KEY 1
#define ENTRY_VALUE 2
#define GRAPH_NODE 1
#define GRAPH_NAME 2
#define GRAPH_INITIALIZER 5
#define GRAPH_DOC_STRING 10
#define GRAPH_INPUT 11
#define GRAPH_OUTPUT 12
#define NODE_INPUT 1
#define NODE_OUTPUT 2
#define NODE_NAME 3
#define NODE_OP_TYPE 4
#define NODE_ATTRIBUTE 5
#define ATTR_NAME 1
#define ATTR_I 3
#define ATTR_TYPE 20
#define TENSOR_DIMS 1
#define TENSOR_DATA_TYPE 2
#define TENSOR_STRING_DATA 6
#define TENSOR_INT64_DATA 7
#define TENSOR_NAME 8
#define TENSOR_RAW_DATA 9
#define VALUE_NAME 1
#define VALUE_TYPE 2
#define VALUE_DOC_STRING 3
#define TYPE_TENSOR 1
#define TYPE_TENSOR_ELEM_TYPE 1
#define TYPE_TENSOR_SHAPE 2
#define SHAPE_DIM 1
#define DIM_VALUE 1
#define DIM_PARAM 2

/* the graph as it is built: nodes and initializers in their own buffers */
typedef struct OnnxGraph
{
	StringInfoData nodes;
	StringInfoData initializers;
	int			n_nodes;		/* names the nodes: "Gemm_3" */
	bool		have_half;		/* the constant 0.5 of bipolar_sigmoid is there */
} OnnxGraph;

/* an attribute of type INT, appended to a node's attribute list */
static void
attr_int(StringInfo attrs, const char *name, int64 value)
{
	StringInfoData a;

	initStringInfo(&a);
	onnx_pb_string(&a, ATTR_NAME, name);
	onnx_pb_int(&a, ATTR_I, value);
	onnx_pb_int(&a, ATTR_TYPE, ONNX_ATTR_INT);
	onnx_pb_message(attrs, NODE_ATTRIBUTE, &a);
	pfree(a.data);
}

/* a node of the default domain; attrs (NODE_ATTRIBUTE fields) may be NULL */
static void
add_node(OnnxGraph *g, const char *op_type, const char *const *inputs, int n_inputs,
		 const char *output, StringInfo attrs)
{
	StringInfoData n;
	int			i;

	initStringInfo(&n);
	for (i = 0; i < n_inputs; i++)
		onnx_pb_string(&n, NODE_INPUT, inputs[i]);
	onnx_pb_string(&n, NODE_OUTPUT, output);
	onnx_pb_string(&n, NODE_NAME, psprintf("%s_%d", op_type, ++g->n_nodes));
	onnx_pb_string(&n, NODE_OP_TYPE, op_type);
	if (attrs != NULL)
		appendBinaryStringInfo(&n, attrs->data, attrs->len);
	onnx_pb_message(&g->nodes, GRAPH_NODE, &n);
	pfree(n.data);
}

/* a node of one or two inputs and no attributes */
static void
add_op(OnnxGraph *g, const char *op_type, const char *a, const char *b, const char *output)
{
	const char *inputs[2] = {a, b};

	add_node(g, op_type, inputs, b == NULL ? 1 : 2, output, NULL);
}

/* a node of one input and one INT attribute */
static void
add_op_int(OnnxGraph *g, const char *op_type, const char *input, const char *attr,
		   int64 value, const char *output)
{
	StringInfoData attrs;

	initStringInfo(&attrs);
	attr_int(&attrs, attr, value);
	add_node(g, op_type, &input, 1, output, &attrs);
	pfree(attrs.data);
}

/* an initializer's header: name, dims (none: a scalar) and element type */
static void
tensor_header(StringInfo t, const char *name, const int64 *dims, int n_dims, int data_type)
{
	int			i;

	for (i = 0; i < n_dims; i++)
		onnx_pb_int(t, TENSOR_DIMS, dims[i]);
	onnx_pb_int(t, TENSOR_DATA_TYPE, data_type);
	onnx_pb_string(t, TENSOR_NAME, name);
}

/* an initializer of float4 or float8 values, as little-endian raw_data */
static void
add_number_tensor(OnnxGraph *g, const char *name, const int64 *dims, int n_dims,
				  int data_type, const void *values, Size n)
{
	StringInfoData t,
				raw;

	initStringInfo(&t);
	initStringInfo(&raw);
	tensor_header(&t, name, dims, n_dims, data_type);
	onnx_pb_append_le(&raw, values, n, data_type == ONNX_DOUBLE ? 8 : 4);
	onnx_pb_bytes(&t, TENSOR_RAW_DATA, raw.data, raw.len);
	onnx_pb_message(&g->initializers, GRAPH_INITIALIZER, &t);
	pfree(t.data);
	pfree(raw.data);
}

/* a float4 initializer tensor of the given shape */
static void
add_float_tensor(OnnxGraph *g, const char *name, const int64 *dims, int n_dims,
				 const float *values, Size n)
{
	add_number_tensor(g, name, dims, n_dims, ONNX_FLOAT, values, n);
}

/* a float8 initializer tensor of the given shape */
static void
add_double_tensor(OnnxGraph *g, const char *name, const int64 *dims, int n_dims,
				  const double *values, Size n)
{
	add_number_tensor(g, name, dims, n_dims, ONNX_DOUBLE, values, n);
}

/* a float8 of shape [n] */
static void
add_double_vector(OnnxGraph *g, const char *name, const double *values, int n)
{
	int64		dim = n;

	add_double_tensor(g, name, &dim, 1, values, n);
}

/* a float8 scalar (shape []) */
static void
add_double_scalar(OnnxGraph *g, const char *name, double value)
{
	add_double_tensor(g, name, NULL, 0, &value, 1);
}

/* a name in UTF-8, the encoding ONNX's strings are in, whatever the database's */
static const char *
utf8(const char *s)
{
	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/* a string initializer tensor of shape [n], each string in UTF-8 */
static void
add_string_vector(OnnxGraph *g, const char *name, char **values, int n)
{
	StringInfoData t;
	int64		dim = n;
	int			i;

	initStringInfo(&t);
	tensor_header(&t, name, &dim, 1, ONNX_STRING);
	for (i = 0; i < n; i++)
		onnx_pb_string(&t, TENSOR_STRING_DATA, utf8(values[i]));
	onnx_pb_message(&g->initializers, GRAPH_INITIALIZER, &t);
	pfree(t.data);
}

/* an int64 tensor of shape [1] holding axis: ReduceSum's axes input */
static void
add_axes(OnnxGraph *g, const char *name, int64 axis)
{
	StringInfoData t;
	int64		dim = 1;

	initStringInfo(&t);
	tensor_header(&t, name, &dim, 1, ONNX_INT64);
	onnx_pb_int(&t, TENSOR_INT64_DATA, axis);
	onnx_pb_message(&g->initializers, GRAPH_INITIALIZER, &t);
	pfree(t.data);
}

/*
 * A graph input or output: a tensor of elem_type whose first dimension is
 * "N" (the rows) and whose second, when width > 0, is width
 */
static void
add_value_info(StringInfo graph, int field, const char *name, int elem_type, int width,
			   const char *doc)
{
	StringInfoData v,
				type,
				tensor,
				shape,
				dim;

	initStringInfo(&dim);
	initStringInfo(&shape);
	onnx_pb_string(&dim, DIM_PARAM, "N");
	onnx_pb_message(&shape, SHAPE_DIM, &dim);
	if (width > 0)
	{
		resetStringInfo(&dim);
		onnx_pb_int(&dim, DIM_VALUE, width);
		onnx_pb_message(&shape, SHAPE_DIM, &dim);
	}
	initStringInfo(&tensor);
	onnx_pb_int(&tensor, TYPE_TENSOR_ELEM_TYPE, elem_type);
	onnx_pb_message(&tensor, TYPE_TENSOR_SHAPE, &shape);
	initStringInfo(&type);
	onnx_pb_message(&type, TYPE_TENSOR, &tensor);
	initStringInfo(&v);
	onnx_pb_string(&v, VALUE_NAME, name);
	onnx_pb_message(&v, VALUE_TYPE, &type);
	onnx_pb_string(&v, VALUE_DOC_STRING, doc);
	onnx_pb_message(graph, field, &v);
	pfree(v.data);
	pfree(type.data);
	pfree(tensor.data);
	pfree(shape.data);
	pfree(dim.data);
}

/*
 * The input, imputed and scaled: NaN -> the imputed value (a model that
 * imputes), then float(((double) x - shift) * scale).  Returns the name of
 * the scaled tensor.
 */
static const char *
add_scaler(OnnxGraph *g, const BpnnModel *m)
{
	int			n = model_n_features(m);
	const char *x = "features";

	if (m->missing == BPNN_MISSING_IMPUTE)
	{
		float	   *impute = palloc(sizeof(float) * n);
		int64		dim = n;
		const char *where[3] = {"features_missing", "impute", "features"};
		int			f;

		/* model_validate keeps every imputed value within float4's range */
		for (f = 0; f < n; f++)
			impute[f] = (float) m->impute[f];
		add_float_tensor(g, "impute", &dim, 1, impute, n);
		add_op(g, "IsNaN", "features", NULL, "features_missing");
		add_node(g, "Where", where, 3, "features_imputed", NULL);
		x = "features_imputed";
	}
	add_double_vector(g, "shift", m->shift, n);
	add_double_vector(g, "scale", m->scale, n);
	add_op_int(g, "Cast", x, "to", ONNX_DOUBLE, "features_f64");
	add_op(g, "Sub", "features_f64", "shift", "centered_f64");
	add_op(g, "Mul", "centered_f64", "scale", "scaled_f64");
	add_op_int(g, "Cast", "scaled_f64", "to", ONNX_FLOAT, "scaled");
	return "scaled";
}

/* layer l's activation on its sums; returns the name of its output */
static const char *
add_activation(OnnxGraph *g, NnActivation act, const char *sums, int l)
{
	char	   *out = psprintf("layer%d", l);
	float		half = 0.5f;

	switch (act)
	{
		case NN_ACT_BIPOLAR_SIGMOID:
			/* 2 sigmoid(u) - 1 == tanh(u / 2), as nn.c computes it */
			if (!g->have_half)
				add_float_tensor(g, "bipolar_half", NULL, 0, &half, 1);
			g->have_half = true;
			add_op(g, "Mul", sums, "bipolar_half", psprintf("layer%d_half", l));
			add_op(g, "Tanh", psprintf("layer%d_half", l), NULL, out);
			return out;
		case NN_ACT_TANH:
			add_op(g, "Tanh", sums, NULL, out);
			return out;
		case NN_ACT_SIGMOID:
			add_op(g, "Sigmoid", sums, NULL, out);
			return out;
		case NN_ACT_RELU:
			add_op(g, "Relu", sums, NULL, out);
			return out;
		case NN_ACT_LINEAR:
			return sums;
		case NN_ACT_SOFTMAX:
			add_op_int(g, "Softmax", sums, "axis", 1, out);
			return out;
	}
	elog(ERROR, "unknown activation %d", (int) act);
	return NULL;				/* keep the compiler quiet */
}

/* every layer: Gemm and its activation; returns the output layer's name */
static const char *
add_layers(OnnxGraph *g, const BpnnModel *m, const char *x)
{
	const NnLayout *layout = &m->layout;
	int			l;

	for (l = 0; l < layout->n_layers; l++)
	{
		int			n_in = layout->sizes[l],
					n_out = layout->sizes[l + 1];
		const float *w = m->weights + nn_layer_offset(layout, l);
		int64		dims[2] = {n_in, n_out};
		char	   *weights = psprintf("W%d", l + 1),
				   *biases = psprintf("B%d", l + 1),
				   *sums = psprintf("layer%d_sum", l + 1);
		const char *inputs[3] = {x, weights, biases};

		CHECK_FOR_INTERRUPTS();
		add_float_tensor(g, weights, dims, 2, w, (Size) n_in * n_out);
		add_float_tensor(g, biases, &dims[1], 1, w + (Size) n_in * n_out, n_out);
		add_node(g, "Gemm", inputs, 3, sums, NULL);
		x = add_activation(g, l + 1 == layout->n_layers ? layout->output_act : layout->hidden_act,
						   sums, l + 1);
	}
	return x;
}

/*
 * A classifier's outputs: "probabilities" as nn_outputs_to_proba computes
 * them, and "label", the class of the largest output as bpnn_predict picks
 * it (the first of equal ones)
 */
static void
add_classifier_outputs(OnnxGraph *g, const BpnnModel *m, const char *out)
{
	const char *gather[2] = {"classes", "label_index"};

	if (m->layout.output_act == NN_ACT_SOFTMAX)
		add_op(g, "Identity", out, NULL, "probabilities");
	else
	{
		float		lo,
					hi;
		const char *reduce[2] = {"proba_clipped", "proba_axes"};
		StringInfoData attrs;

		/* p = clip((o - lo) / (hi - lo), floor, 1) / sum, in float8 */
		nn_target_bounds(m->layout.output_act, &lo, &hi);
		add_double_scalar(g, "proba_low", (double) lo);
		add_double_scalar(g, "proba_range", (double) hi - lo);
		add_double_scalar(g, "proba_floor", NN_PROBA_FLOOR);
		add_double_scalar(g, "proba_one", 1.0);
		add_axes(g, "proba_axes", 1);
		add_op_int(g, "Cast", out, "to", ONNX_DOUBLE, "outputs_f64");
		add_op(g, "Sub", "outputs_f64", "proba_low", "proba_shifted");
		add_op(g, "Div", "proba_shifted", "proba_range", "proba_raw");
		add_op(g, "Max", "proba_raw", "proba_floor", "proba_floored");
		add_op(g, "Min", "proba_floored", "proba_one", "proba_clipped");
		initStringInfo(&attrs);
		attr_int(&attrs, "keepdims", 1);
		add_node(g, "ReduceSum", reduce, 2, "proba_sum", &attrs);
		pfree(attrs.data);
		add_op(g, "Div", "proba_clipped", "proba_sum", "probabilities_f64");
		add_op_int(g, "Cast", "probabilities_f64", "to", ONNX_FLOAT, "probabilities");
	}

	add_string_vector(g, "classes", m->class_names, model_n_classes(m));
	{
		StringInfoData attrs;

		initStringInfo(&attrs);
		attr_int(&attrs, "axis", 1);
		attr_int(&attrs, "keepdims", 0);
		add_node(g, "ArgMax", &out, 1, "label_index", &attrs);
		resetStringInfo(&attrs);
		attr_int(&attrs, "axis", 0);
		add_node(g, "Gather", gather, 2, "label", &attrs);
		pfree(attrs.data);
	}
}

/* a regressor's output "value": output * target scale + target shift, in float8 */
static void
add_regressor_outputs(OnnxGraph *g, const BpnnModel *m, const char *out)
{
	int			n = model_n_classes(m);

	add_double_vector(g, "target_scale", m->target_scale, n);
	add_double_vector(g, "target_shift", m->target_shift, n);
	add_op_int(g, "Cast", out, "to", ONNX_DOUBLE, "outputs_f64");
	add_op(g, "Mul", "outputs_f64", "target_scale", "value_scaled_f64");
	add_op(g, "Add", "value_scaled_f64", "target_shift", "value_f64");
	add_op_int(g, "Cast", "value_f64", "to", ONNX_FLOAT, "value");
}

/* a JSON array of strings, for the metadata */
static char *
json_strings(char **values, int n)
{
	StringInfoData s;
	int			i;

	initStringInfo(&s);
	appendStringInfoChar(&s, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&s, ", ");
		escape_json(&s, utf8(values[i]));
	}
	appendStringInfoChar(&s, ']');
	return s.data;
}

/* one key and value of the model's metadata_props */
static void
add_metadata(StringInfo model, const char *key, const char *value)
{
	StringInfoData e;

	initStringInfo(&e);
	onnx_pb_string(&e, ENTRY_KEY, key);
	onnx_pb_string(&e, ENTRY_VALUE, value);
	onnx_pb_message(model, MODEL_METADATA_PROPS, &e);
	pfree(e.data);
}

/* the GraphProto of a model */
static void
write_graph(StringInfo graph, const BpnnModel *m)
{
	OnnxGraph	g;
	bool		regressor = m->task == BPNN_TASK_REGRESSION;
	const char *out;

	initStringInfo(&g.nodes);
	initStringInfo(&g.initializers);
	g.n_nodes = 0;
	g.have_half = false;
	out = add_layers(&g, m, add_scaler(&g, m));
	if (regressor)
		add_regressor_outputs(&g, m, out);
	else
		add_classifier_outputs(&g, m, out);

	appendBinaryStringInfo(graph, g.nodes.data, g.nodes.len);
	onnx_pb_string(graph, GRAPH_NAME, "bpnn");
	appendBinaryStringInfo(graph, g.initializers.data, g.initializers.len);
	onnx_pb_string(graph, GRAPH_DOC_STRING,
			  "A bpnn model: the features scaled as the model's scaler does, its layers and "
			  "activations, and its predictions as bpnn_predict_proba and bpnn_predict "
			  "(a classifier) or bpnn_predict_values (a regressor) give them.");
	add_value_info(graph, GRAPH_INPUT, "features", ONNX_FLOAT, model_n_features(m),
				   m->missing == BPNN_MISSING_IMPUTE ?
				   "One row per example: the features in the order of the metadata's bpnn.features, as bpnn_predict takes them as float8[]. NaN is a missing value: it becomes the value the model imputes." :
				   "One row per example: the features in the order of the metadata's bpnn.features, as bpnn_predict takes them as float8[]. The model does not impute: a NaN makes the row's outputs NaN (bpnn_predict gives NULL).");
	if (regressor)
		add_value_info(graph, GRAPH_OUTPUT, "value", ONNX_FLOAT, model_n_classes(m),
					   "The predictions in the label's units, one per output (metadata bpnn.outputs), as bpnn_predict_values gives them.");
	else
	{
		add_value_info(graph, GRAPH_OUTPUT, "probabilities", ONNX_FLOAT, model_n_classes(m),
					   "One probability per class, in the order of the metadata's bpnn.classes, as bpnn_predict_proba gives them.");
		add_value_info(graph, GRAPH_OUTPUT, "label", ONNX_STRING, 0,
					   "The predicted class, as bpnn_predict gives it.");
	}
	pfree(g.nodes.data);
	pfree(g.initializers.data);
}

/* bpnn_onnx: the model as an ONNX ModelProto */
Datum
bpnn_onnx(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(onnx_encode(model_from_arg(fcinfo, 0)->model));
}

/* the model as the bytes of an ONNX ModelProto (onnx.h) */
bytea *
onnx_encode(const BpnnModel *m)
{
	StringInfoData model,
				opset,
				graph;
	bytea	   *result;
	int			c;

	for (c = 0; c < m->n_columns; c++)
		if (m->column_kinds[c] == BPNN_COLUMN_CATEGORY)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("bpnn_onnx cannot export a model with text feature columns"),
					 errdetail("Column \"%s\" is one-hot encoded; the ONNX graph takes one float tensor of features, as the float8[] form of bpnn_predict does.",
							   m->column_names[c]),
					 errhint("Train the model on numeric columns to export it, for example with one 0/1 column per value.")));

	initStringInfo(&model);
	onnx_pb_int(&model, MODEL_IR_VERSION, ONNX_IR_VERSION);
	onnx_pb_string(&model, MODEL_PRODUCER_NAME, "bpnn");
	onnx_pb_string(&model, MODEL_PRODUCER_VERSION, BPNN_EXTVERSION);
	onnx_pb_string(&model, MODEL_DOMAIN, "org.bpnn");
	onnx_pb_int(&model, MODEL_MODEL_VERSION, 1);
	onnx_pb_string(&model, MODEL_DOC_STRING, "Exported by bpnn_onnx from a bpnn_model.");

	initStringInfo(&graph);
	write_graph(&graph, m);
	onnx_pb_message(&model, MODEL_GRAPH, &graph);
	pfree(graph.data);

	initStringInfo(&opset);
	onnx_pb_string(&opset, OPSET_DOMAIN, "");
	onnx_pb_int(&opset, OPSET_VERSION, ONNX_OPSET);
	onnx_pb_message(&model, MODEL_OPSET_IMPORT, &opset);
	pfree(opset.data);

	add_metadata(&model, "bpnn.task", m->task == BPNN_TASK_REGRESSION ? "regression" : "classification");
	add_metadata(&model, "bpnn.features", json_strings(m->feature_names, model_n_features(m)));
	add_metadata(&model, m->task == BPNN_TASK_REGRESSION ? "bpnn.outputs" : "bpnn.classes",
				 json_strings(m->class_names, model_n_classes(m)));

	result = palloc(VARHDRSZ + model.len);
	SET_VARSIZE(result, VARHDRSZ + model.len);
	memcpy(VARDATA(result), model.data, model.len);
	pfree(model.data);
	return result;
}
