"""ONNX export of one decode step (batch 1, one token), opset 17.

Inputs
  input_ids                  int64 [1, 1]
  position_ids               int64 [1, 1]   (= past length for a normal decode)
  past_key_values.N.key      float32 [1, kv_heads, past, head_dim]   (past may be 0)
  past_key_values.N.value    float32 [1, kv_heads, past, head_dim]
Outputs
  logits                     float32 [1, 1, vocab]
  present.N.key / .value     float32 [1, kv_heads, past + 1, head_dim]  (keys after RoPE)

Weights are initializers named exactly like the HF tensors, stored in the checkpoint
dtype; f16/bf16 ones go through a Cast to float32, so the graph computes in float32
like the numpy reference.  Above ~1.5 GiB of weights they go to model.onnx.data
(external data).  Semantics follow the HF Mistral/Mixtral modelling code: RMSNorm,
RoPE with rotate_half, grouped-query attention (query head h uses KV head h // (A/K)),
SwiGLU or dReLU FFN, Mixtral router softmax -> top-k -> renormalise.  The predictor
tensors are not used by the graph, unless `predictors`: then each FFN's activation is
multiplied by its predictor's mask, Cast(Greater(fc2(Relu(fc1 r)), threshold)) with r the
residual stream before the FFN's norm, which is what predicted mode computes.
"""

import math
import os

import numpy as np

OPSET = 17
IR_VERSION = 8
EXTERNAL_THRESHOLD = 1536 * 2**20


def export_onnx(out_dir, cfg, store, dtype, predictors=False):
    import onnx
    from onnx import TensorProto, helper

    H = cfg["hidden_size"]
    A = cfg["num_attention_heads"]
    K = cfg["num_key_value_heads"]
    D = H // A
    L = cfg["num_hidden_layers"]
    V = cfg["vocab_size"]
    eps = float(cfg["rms_norm_eps"])
    theta = float(cfg["rope_theta"])
    arch = cfg["architectures"][0]
    moe = "num_local_experts" in cfg
    drelu = cfg["hidden_act"] == "relu"

    nodes, inits = [], []
    counter = [0]
    cast_cache = {}

    def uid(base):
        counter[0] += 1
        return f"{base}_{counter[0]}"

    def node(op, inputs, attrs=None, name=None, n_out=1):
        outs = [uid(name or op) for _ in range(n_out)]
        nodes.append(helper.make_node(op, inputs, outs, name=uid("n_" + op), **(attrs or {})))
        return outs[0] if n_out == 1 else outs

    def const(name, arr):
        arr = np.asarray(arr)
        inits.append(onnx.numpy_helper.from_array(arr, name=uid(name)))
        return inits[-1].name

    def weight(name):
        """float32 value of the HF tensor `name` (initializer + Cast if needed)."""
        if name in cast_cache:
            return cast_cache[name]
        a = store[name]
        if dtype == "bf16":
            t = helper.make_tensor(name, TensorProto.BFLOAT16, a.shape,
                                   np.ascontiguousarray(a).tobytes(), raw=True)
        else:
            t = onnx.numpy_helper.from_array(np.ascontiguousarray(a), name=name)
        inits.append(t)
        out = name if dtype == "f32" else node("Cast", [name], {"to": TensorProto.FLOAT}, name + "_f32")
        cast_cache[name] = out
        return out

    def linear(x, wname):                     # x [1, in] -> [1, out]  (x @ W^T)
        return node("Gemm", [x, weight(wname)], {"transB": 1})

    def rms_norm(x, wname):
        sq = node("Mul", [x, x])
        ms = node("ReduceMean", [sq], {"axes": [-1], "keepdims": 1})
        inv = node("Reciprocal", [node("Sqrt", [node("Add", [ms, c_eps])])])
        return node("Mul", [node("Mul", [x, inv]), weight(wname)])

    def rope(x):                               # x [1, n, 1, D]
        x1 = node("Slice", [x, c_zero, c_half, c_ax3])
        x2 = node("Slice", [x, c_half, c_d, c_ax3])
        rot = node("Concat", [node("Neg", [x2]), x1], {"axis": 3})
        return node("Add", [node("Mul", [x, cos]), node("Mul", [rot, sin])])

    c_eps = const("eps", np.array(eps, dtype=np.float32))
    c_zero = const("zero", np.array([0], dtype=np.int64))
    c_half = const("half", np.array([D // 2], dtype=np.int64))
    c_d = const("d", np.array([D], dtype=np.int64))
    c_ax3 = const("ax3", np.array([3], dtype=np.int64))
    c_scale = const("scale", np.array(1.0 / math.sqrt(D), dtype=np.float32))

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, 1]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, [1, 1])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1, V])]

    # rotary tables for this position: inv_freq = theta^(-2i/D), emb = cat(f, f)
    inv_freq = (1.0 / (theta ** (np.arange(0, D, 2, dtype=np.float64) / D))).astype(np.float32)
    pos_f = node("Cast", ["position_ids"], {"to": TensorProto.FLOAT})          # [1, 1]
    freqs = node("Mul", [pos_f, const("inv_freq", inv_freq)])                  # [1, D/2]
    emb = node("Concat", [freqs, freqs], {"axis": -1})                         # [1, D]
    cos, sin = node("Cos", [emb]), node("Sin", [emb])

    ids = node("Reshape", ["input_ids", const("shape1", np.array([1], dtype=np.int64))])
    h = node("Gather", [weight("model.embed_tokens.weight"), ids], {"axis": 0})  # [1, H]

    s_q = const("shape_q", np.array([1, A, 1, D], dtype=np.int64))
    s_kv = const("shape_kv", np.array([1, K, 1, D], dtype=np.int64))
    s_qg = const("shape_qg", np.array([1, K, A // K, D], dtype=np.int64))
    s_flat = const("shape_flat", np.array([1, A * D], dtype=np.int64))
    s_logits = const("shape_logits", np.array([1, 1, V], dtype=np.int64))

    def ffn(x, p, names, residual=None):
        g = linear(x, p + names[0] + ".weight")
        u = linear(x, p + names[1] + ".weight")
        if drelu:
            act = node("Mul", [node("Relu", [g]), node("Relu", [u])])
        else:
            act = node("Mul", [node("Mul", [g, node("Sigmoid", [g])]), u])
        if residual is not None:
            low = node("Relu", [linear(residual, p + "predictor.fc1.weight")])
            score = linear(low, p + "predictor.fc2.weight")
            threshold = float(cfg["sparsec_predictor"]["threshold"])
            fires = node("Greater", [score, const("threshold", np.array(threshold, dtype=np.float32))])
            act = node("Mul", [act, node("Cast", [fires], {"to": TensorProto.FLOAT})])
        return linear(act, p + names[2] + ".weight")

    for layer in range(L):
        p = f"model.layers.{layer}."
        pk, pv = f"past_key_values.{layer}.key", f"past_key_values.{layer}.value"
        inputs += [helper.make_tensor_value_info(pk, TensorProto.FLOAT, [1, K, "past_len", D]),
                   helper.make_tensor_value_info(pv, TensorProto.FLOAT, [1, K, "past_len", D])]
        x = rms_norm(h, p + "input_layernorm.weight")
        q = rope(node("Reshape", [linear(x, p + "self_attn.q_proj.weight"), s_q]))
        k = rope(node("Reshape", [linear(x, p + "self_attn.k_proj.weight"), s_kv]))
        v = node("Reshape", [linear(x, p + "self_attn.v_proj.weight"), s_kv])
        ok, ov = f"present.{layer}.key", f"present.{layer}.value"
        nodes.append(helper.make_node("Concat", [pk, k], [ok], axis=2, name=uid("n_Concat")))
        nodes.append(helper.make_node("Concat", [pv, v], [ov], axis=2, name=uid("n_Concat")))
        outputs += [helper.make_tensor_value_info(ok, TensorProto.FLOAT, [1, K, "past_len_plus_1", D]),
                    helper.make_tensor_value_info(ov, TensorProto.FLOAT, [1, K, "past_len_plus_1", D])]
        qg = node("Reshape", [q, s_qg])                                   # [1, K, n_rep, D]
        kt = node("Transpose", [ok], {"perm": [0, 1, 3, 2]})             # [1, K, D, P+1]
        sc = node("Mul", [node("MatMul", [qg, kt]), c_scale])             # [1, K, n_rep, P+1]
        pr = node("Softmax", [sc], {"axis": -1})
        at = node("Reshape", [node("MatMul", [pr, ov]), s_flat])          # [1, A*D]
        h = node("Add", [h, linear(at, p + "self_attn.o_proj.weight")])
        x = rms_norm(h, p + "post_attention_layernorm.weight")
        if not moe:
            y = ffn(x, p + "mlp.", ("gate_proj", "up_proj", "down_proj"),
                    residual=h if predictors else None)
        else:
            E = cfg["num_local_experts"]
            k_top = cfg["num_experts_per_tok"]
            mp = p + "block_sparse_moe."
            probs = node("Softmax", [linear(x, mp + "gate.weight")], {"axis": -1})   # [1, E]
            vals, idx = node("TopK", [probs, const("k", np.array([k_top], dtype=np.int64))],
                             {"axis": -1, "largest": 1, "sorted": 1}, n_out=2)
            vsum = node("ReduceSum", [vals, const("axm1", np.array([-1], dtype=np.int64))],
                        {"keepdims": 1})
            wn = node("Div", [vals, vsum])
            dense_w = node("ScatterElements", [const("zeros_e", np.zeros((1, E), dtype=np.float32)),
                                               idx, wn], {"axis": 1})                # [1, E]
            y = None
            for e in range(E):
                we = node("Slice", [dense_w, const("e0", np.array([e], dtype=np.int64)),
                                    const("e1", np.array([e + 1], dtype=np.int64)),
                                    const("ax1", np.array([1], dtype=np.int64))])
                ye = node("Mul", [ffn(x, f"{mp}experts.{e}.", ("w1", "w3", "w2")), we])
                y = ye if y is None else node("Add", [y, ye])
        h = node("Add", [h, y])

    h = rms_norm(h, "model.norm.weight")
    lg = linear(h, "lm_head.weight")
    nodes.append(helper.make_node("Reshape", [lg, s_logits], ["logits"], name=uid("n_Reshape")))

    graph = helper.make_graph(nodes, f"sparsec_synth_{arch}_decode_step", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="sparsec-synth")
    model.ir_version = IR_VERSION
    path = os.path.join(out_dir, "model.onnx")
    total = sum(store[n].nbytes for n in cast_cache)
    if total > EXTERNAL_THRESHOLD:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx.data", size_threshold=1024)
        return ["model.onnx", "model.onnx.data"]
    onnx.save_model(model, path)
    return ["model.onnx"]
