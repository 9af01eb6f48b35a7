# test/onnx/check.py — Debian's python3-onnx (1.12) on each file of bpnn_onnx
# named on the command line: onnx.checker with full_check (the graph, the
# operators' schemas at the opsets it imports, and shape inference), then
# the names, types and shapes of the graph's inputs and outputs, and the IR
# version and opsets.  Prints one ok:/FAILED: line per file.
import json
import os
import sys

import onnx

TYPES = {onnx.TensorProto.FLOAT: "float", onnx.TensorProto.STRING: "string"}


def signature(values):
    out = []
    for v in values:
        t = v.type.tensor_type
        dims = [d.dim_param or d.dim_value for d in t.shape.dim]
        out.append("%s %s %s" % (v.name, TYPES.get(t.elem_type, t.elem_type), dims))
    return out


for path in sys.argv[1:]:
    name = os.path.basename(path)
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        meta = {p.key: p.value for p in model.metadata_props}
        n_features = len(json.loads(meta["bpnn.features"]))
        if meta["bpnn.task"] == "regression":
            outputs = ["value float ['N', %d]" % len(json.loads(meta["bpnn.outputs"]))]
        else:
            outputs = ["probabilities float ['N', %d]" % len(json.loads(meta["bpnn.classes"])),
                       "label string ['N']"]
        want = (["features float ['N', %d]" % n_features], outputs)
        got = (signature(model.graph.input), signature(model.graph.output))
        opsets = {o.domain: o.version for o in model.opset_import}
        if got != want:
            print("FAILED: %s: inputs and outputs %s, not %s" % (name, got, want))
        elif model.ir_version != 8 or opsets != {"": 13}:
            print("FAILED: %s: IR version %d, opsets %s" % (name, model.ir_version, opsets))
        else:
            print("ok: onnx.checker %s passes %s: IR version 8, opset 13, %s -> %s"
                  % (onnx.__version__, name, got[0][0], ", ".join(got[1])))
    except Exception as err:  # a file the checker refuses
        print("FAILED: %s: %s" % (name, str(err).splitlines()[0] if str(err) else repr(err)))
