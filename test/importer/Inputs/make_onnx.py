"""Writes a broken copy of an ONNX model folder, one fault per case.

    make_onnx.py SRC_DIR CASE OUT_DIR

SRC_DIR holds an intact model.onnx (sparsec-synth --onnx) and config.json;
OUT_DIR gets both, with CASE's fault, for the importer's error tests.
"""
import json
import os
import shutil
import sys

import onnx
from onnx import TensorProto, helper


def main():
    src, case, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    shutil.copy(os.path.join(src, "config.json"), out)
    model = onnx.load(os.path.join(src, "model.onnx"))
    graph = model.graph
    path = os.path.join(out, "model.onnx")

    def first_init(pred=lambda t: True):
        return next(t for t in graph.initializer if pred(t))

    if case == "not-protobuf":
        with open(path, "wb") as f:
            f.write(b"\xff\xff\xff\xff not an onnx file")
        return
    if case == "out-of-order":
        # The first Gather (the embedding) moved after its first reader.
        nodes = list(graph.node)
        i = next(k for k, n in enumerate(nodes) if n.op_type == "Gather")
        reader = next(k for k, n in enumerate(nodes)
                      if k > i and nodes[i].output[0] in n.input)
        nodes.insert(reader, nodes.pop(i))
        del graph.node[:]
        graph.node.extend(nodes)
    elif case == "cycle":
        # The embedding reads a value computed from its own output.
        nodes = list(graph.node)
        i = next(k for k, n in enumerate(nodes) if n.op_type == "Gather")
        reader = next(n for k, n in enumerate(nodes)
                      if k > i and nodes[i].output[0] in n.input)
        nodes[i].input[1] = reader.output[0]
    elif case == "missing-initializer":
        t = first_init(lambda t: t.name == "model.norm.weight")
        graph.initializer.remove(t)
    elif case == "short-data":
        t = first_init(lambda t: t.name == "model.norm.weight")
        t.raw_data = t.raw_data[:-2]
    elif case == "absurd-dims":
        t = first_init(lambda t: t.name == "model.norm.weight")
        t.dims[0] = 1 << 40
    elif case == "string-initializer":
        graph.initializer.append(helper.make_tensor("label", TensorProto.STRING, [1], [b"x"]))
    elif case in ("external-escapes", "external-past-end", "external-symlink"):
        t = first_init(lambda t: t.name == "model.norm.weight")
        size = len(t.raw_data)
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        location = {"external-escapes": "../outside.bin",
                    "external-symlink": "link.bin"}.get(case, "weights.bin")
        with open(os.path.join(out, "weights.bin"), "wb") as f:
            f.write(b"\0" * size)
        if case == "external-symlink":
            # A link inside the folder to a file outside it.
            outside = os.path.join(os.path.dirname(os.path.abspath(out)),
                                   os.path.basename(out) + "-outside.bin")
            with open(outside, "wb") as f:
                f.write(b"\0" * size)
            os.symlink(outside, os.path.join(out, "link.bin"))
        offset = str(size) if case == "external-past-end" else "0"
        for key, value in (("location", location), ("offset", offset),
                           ("length", str(size))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
    elif case == "subgraph":
        then = helper.make_graph([], "then", [], [])
        graph.node.append(helper.make_node("If", ["position_ids"], [], name="branch",
                                           then_branch=then, else_branch=then))
    elif case == "unknown-op":
        node = next(n for n in graph.node if n.op_type == "Relu")
        node.op_type = "Tanh"
        node.name = "odd_activation"
    elif case == "config-conflict":
        with open(os.path.join(out, "config.json")) as f:
            config = json.load(f)
        config["num_attention_heads"] *= 2
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(config, f)
    elif case == "no-config":
        os.remove(os.path.join(out, "config.json"))
    elif case != "ok":
        sys.exit(f"unknown case {case}")
    onnx.save_model(model, path)


if __name__ == "__main__":
    main()
