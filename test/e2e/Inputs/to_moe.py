"""Turns the FFNs of an onnxruntime-genai export back into a checkpoint's
mixture of experts, as com.microsoft.MoE nodes.

    to_moe.py CHECKPOINT_DIR EXPORT_DIR FORM

No exporter in the test venvs writes Mixtral (onnxruntime-genai's builder
writes MoE nodes for other architectures, Optimum none), so a Mixtral
checkpoint is exported as a Mistral whose FFNs are expert 0's (as_mistral.py)
and each layer's /model/layers.N/mlp/* subgraph is replaced, in place, by
what the builder writes for an MoE layer: the router as a MatMul, its output
reshaped to [rows, experts] (Shape/Gather/Unsqueeze/Concat/Reshape) and a
MoE node over the experts stacked [experts, rows, columns] with Mixtral's
routing (normalize_routing_weights = 1). FORM is the layout of gate and up:

    interleaved   SwiGLU, fc1 rows gate 0, up 0, gate 1, ... (swiglu_fusion 1,
                  what onnxruntime's CPU kernel runs)
    concatenated  SwiGLU, fc1 rows all gates then all ups (swiglu_fusion 2)
    fc3           silu(fc1 x) * (fc3 x), gate and up apart

The experts are computed with SwiGLU whatever the checkpoint says; the
folder's config.json becomes the checkpoint's as a SwiGLU Mixtral.
"""
import json
import os
import sys

import numpy as np
from onnx import helper, numpy_helper, load, save_model
from safetensors.numpy import load_file


def main():
    checkpoint, folder, form = sys.argv[1:4]
    if form not in ("interleaved", "concatenated", "fc3"):
        sys.exit(f"unknown form '{form}'")
    with open(os.path.join(checkpoint, "config.json")) as f:
        config = json.load(f)
    tensors = load_file(os.path.join(checkpoint, "model.safetensors"))
    path = os.path.join(folder, "model.onnx")
    model = load(path, load_external_data=False)
    graph = model.graph
    experts, top_k = config["num_local_experts"], config["num_experts_per_tok"]

    def constant(name, values):
        graph.initializer.append(numpy_helper.from_array(
            np.array(values, dtype=np.int64), name=name))
        return name

    new_nodes, replaced = [], 0
    for node in graph.node:
        if "/mlp/" not in node.name:
            new_nodes.append(node)
            continue
        if not node.name.endswith("/mlp/down_proj/MatMul"):
            continue
        layer = int(node.name.split("/layers.")[1].split("/")[0])
        root = next(n.input[0] for n in graph.node
                    if n.name == f"/model/layers.{layer}/mlp/gate_proj/MatMul")
        prefix = f"model.layers.{layer}.block_sparse_moe."
        base = f"/model/layers.{layer}/moe"

        def stack(w):
            return np.stack([tensors[f"{prefix}experts.{e}.{w}.weight"]
                             for e in range(experts)]).astype(np.float32)

        gate, up, down = stack("w1"), stack("w3"), stack("w2")
        router = tensors[prefix + "gate.weight"].astype(np.float32).T.copy()
        names = {"router": f"{prefix}gate.MatMul.weight",
                 "fc1": f"model.layers.{layer}.moe.weight_1",
                 "fc2": f"model.layers.{layer}.moe.weight_2",
                 "fc3": f"model.layers.{layer}.moe.weight_3"}
        if form == "interleaved":
            fc1 = np.stack([gate, up], axis=2).reshape(
                experts, 2 * gate.shape[1], gate.shape[2])
        elif form == "concatenated":
            fc1 = np.concatenate([gate, up], axis=1)
        else:
            fc1 = gate
        for key, value in (("router", router), ("fc1", fc1), ("fc2", down)):
            graph.initializer.append(numpy_helper.from_array(value, names[key]))
        if form == "fc3":
            graph.initializer.append(numpy_helper.from_array(up, names["fc3"]))

        logits = f"{base}/gate/MatMul/output_0"
        new_nodes += [
            helper.make_node("MatMul", [root, names["router"]], [logits],
                             name=f"{base}/gate/MatMul"),
            helper.make_node("Shape", [logits], [f"{base}/gate/Shape/output_0"],
                             name=f"{base}/gate/Shape"),
            helper.make_node("Gather", [f"{base}/gate/Shape/output_0",
                                        constant(f"{base}/two", 2)],
                             [f"{base}/gate/Gather/output_0"], axis=0,
                             name=f"{base}/gate/Gather"),
            helper.make_node("Unsqueeze", [f"{base}/gate/Gather/output_0",
                                           constant(f"{base}/axes", [0])],
                             [f"{base}/gate/Unsqueeze/output_0"],
                             name=f"{base}/gate/Unsqueeze"),
            helper.make_node("Concat", [constant(f"{base}/minus_one", [-1]),
                                        f"{base}/gate/Unsqueeze/output_0"],
                             [f"{base}/gate/Concat/output_0"], axis=0,
                             name=f"{base}/gate/Concat"),
            helper.make_node("Reshape", [logits, f"{base}/gate/Concat/output_0"],
                             [f"{base}/gate/Reshape/output_0"],
                             name=f"{base}/gate/Reshape"),
        ]
        inputs = [root, f"{base}/gate/Reshape/output_0", names["fc1"], "",
                  names["fc2"], ""]
        attributes = dict(k=top_k, normalize_routing_weights=1,
                          use_sparse_mixer=0)
        if form == "fc3":
            inputs.append(names["fc3"])
            attributes["activation_type"] = "silu"
        else:
            attributes.update(activation_type="swiglu",
                              swiglu_fusion=1 if form == "interleaved" else 2)
        # The MoE's output keeps the down projection's name: its readers stay.
        new_nodes.append(helper.make_node("MoE", inputs, [node.output[0]],
                                          name=base, domain="com.microsoft",
                                          **attributes))
        replaced += 1

    if replaced != config["num_hidden_layers"]:
        sys.exit(f"{path}: found {replaced} FFNs, expected "
                 f"{config['num_hidden_layers']}")
    del graph.node[:]
    graph.node.extend(new_nodes)
    used = {i for n in graph.node for i in n.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    save_model(model, path)

    config.update(architectures=["MixtralForCausalLM"], hidden_act="silu")
    for key in [k for k in config if k.startswith("sparsec_")]:
        del config[key]
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(f"{replaced} FFNs replaced by {form} MoE nodes")


if __name__ == "__main__":
    main()
