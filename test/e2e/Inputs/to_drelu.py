"""Rewrites the SwiGLU FFNs of an exported ONNX graph into dReLU ones.

    to_drelu.py IN.onnx OUT.onnx

No exporter writes TurboSparse's dReLU (relu(gate x) * relu(up x)): its
model classes are not in transformers. So a dReLU checkpoint is exported as
a Mistral (SwiGLU, the same weights) by the real exporter, and each
Mul(Mul(g, Sigmoid(g)), u) of the graph becomes Mul(Relu(g), Relu(u)); all
else stays as the exporter wrote it, and onnxruntime runs the result.
External data stays where it is (OUT must be in IN's folder).
"""
import sys

import onnx
from onnx import helper


def main():
    src, out = sys.argv[1:3]
    model = onnx.load(src, load_external_data=False)
    graph = model.graph
    producer = {o: n for n in graph.node for o in n.output}
    rewritten = 0
    new_nodes = []
    for node in graph.node:
        new_nodes.append(node)
        if node.op_type != "Mul" or len(node.input) != 2:
            continue
        for silu_name, up in ((node.input[0], node.input[1]),
                              (node.input[1], node.input[0])):
            silu = producer.get(silu_name)
            if silu is None or silu.op_type != "Mul":
                continue
            sig = [producer.get(i) for i in silu.input]
            gate = None
            for k, s in enumerate(sig):
                if s is not None and s.op_type == "Sigmoid" and \
                        s.input[0] == silu.input[1 - k]:
                    gate = s.input[0]
            if gate is None:
                continue
            relu_g = helper.make_node("Relu", [gate], [node.name + "/relu_gate"],
                                      name=node.name + "/ReluGate")
            relu_u = helper.make_node("Relu", [up], [node.name + "/relu_up"],
                                      name=node.name + "/ReluUp")
            new_nodes.insert(len(new_nodes) - 1, relu_g)
            new_nodes.insert(len(new_nodes) - 1, relu_u)
            del node.input[:]
            node.input.extend([relu_g.output[0], relu_u.output[0]])
            rewritten += 1
            break
    del graph.node[:]
    graph.node.extend(new_nodes)
    if rewritten == 0:
        sys.exit(f"{src}: no SwiGLU FFN found")
    onnx.save_model(model, out)
    print(f"{rewritten} FFNs rewritten to dReLU")


if __name__ == "__main__":
    main()
