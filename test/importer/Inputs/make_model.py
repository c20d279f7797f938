#!/usr/bin/env python3
"""Writes a tiny Hugging Face checkpoint, intact or broken in one named way.

The importer's error tests use it: every case is one malformation, written
byte by byte with the standard library only (no numpy, no safetensors
package), so each test shows exactly the fault it names.

    make_model.py [--arch bamboo|mixtral] [--case CASE] OUT_DIR
"""
import argparse
import json
import os
import struct

H, I, L, A, K, V, R, E = 16, 32, 1, 2, 1, 20, 4, 2
D = H // A


def tensors(arch):
    """Tensor name -> shape, in the order they are written."""
    shapes = {"model.embed_tokens.weight": [V, H]}
    for layer in range(L):
        p = f"model.layers.{layer}."
        shapes[p + "input_layernorm.weight"] = [H]
        shapes[p + "self_attn.q_proj.weight"] = [A * D, H]
        shapes[p + "self_attn.k_proj.weight"] = [K * D, H]
        shapes[p + "self_attn.v_proj.weight"] = [K * D, H]
        shapes[p + "self_attn.o_proj.weight"] = [H, A * D]
        shapes[p + "post_attention_layernorm.weight"] = [H]
        if arch == "mixtral":
            shapes[p + "block_sparse_moe.gate.weight"] = [E, H]
            for e in range(E):
                x = p + f"block_sparse_moe.experts.{e}."
                shapes[x + "w1.weight"] = [I, H]
                shapes[x + "w3.weight"] = [I, H]
                shapes[x + "w2.weight"] = [H, I]
                shapes[x + "predictor.fc1.weight"] = [R, H]
                shapes[x + "predictor.fc2.weight"] = [I, R]
        else:
            shapes[p + "mlp.gate_proj.weight"] = [I, H]
            shapes[p + "mlp.up_proj.weight"] = [I, H]
            shapes[p + "mlp.down_proj.weight"] = [H, I]
            shapes[p + "mlp.predictor.fc1.weight"] = [R, H]
            shapes[p + "mlp.predictor.fc2.weight"] = [I, R]
    shapes["model.norm.weight"] = [H]
    shapes["lm_head.weight"] = [V, H]
    return shapes


def config(arch):
    cfg = {
        "architectures": ["TurboSparseMixtralForCausalLM" if arch == "mixtral"
                          else "BambooForCausalLM"],
        "model_type": "mixtral" if arch == "mixtral" else "bamboo",
        "hidden_size": H, "intermediate_size": I, "num_hidden_layers": L,
        "num_attention_heads": A, "num_key_value_heads": K, "vocab_size": V,
        "hidden_act": "relu", "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
        "max_position_embeddings": 64, "tie_word_embeddings": False,
        "sliding_window": None,
    }
    if arch == "mixtral":
        cfg.update(num_local_experts=E, num_experts_per_tok=2)
    return cfg


def safetensors_bytes(entries, header_override=None, length_override=None):
    """entries: list of (name, dtype, shape, data bytes) laid out in order."""
    header, blobs, offset = {}, [], 0
    for name, dtype, shape, data in entries:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header) if header_override is None else header_override
    raw = text.encode()
    length = len(raw) if length_override is None else length_override
    return struct.pack("<Q", length) + raw + b"".join(blobs)


def f32_data(count, seed):
    state, out = seed, bytearray()
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out += struct.pack("<f", (state / 0x7FFFFFFF - 0.5) * 0.2)
    return bytes(out)


def entries_for(shapes, dtypes=None):
    entries = []
    for index, (name, shape) in enumerate(shapes.items()):
        count = 1
        for dim in shape:
            count *= dim
        dtype = (dtypes or {}).get(name, "F32")
        data = f32_data(count, index + 1)
        if dtype == "I8":
            data = data[:count]
        entries.append((name, dtype, shape, data))
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=["bamboo", "mixtral"], default="bamboo")
    parser.add_argument("--case", default="ok")
    parser.add_argument("out")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    shapes = tensors(args.arch)
    cfg = config(args.arch)
    st_path = os.path.join(args.out, "model.safetensors")
    up = "model.layers.0.mlp.up_proj.weight"
    fc2 = "model.layers.0.mlp.predictor.fc2.weight"
    case = args.case
    dtypes = {}

    if case == "missing-tensor":
        del shapes[up]
    elif case == "wrong-shape":
        shapes[up] = [I, H + 1]
    elif case == "predictor-rank":
        shapes[fc2] = [I, R + 1]
    elif case == "predictor-half":
        del shapes[fc2]
    elif case == "int8-weight":
        dtypes[up] = "I8"
    elif case == "unknown-architecture":
        cfg["architectures"] = ["GPT2LMHeadModel"]
    elif case == "wrong-typed-field":
        cfg["hidden_size"] = str(H)
    elif case == "rope-yarn":
        cfg["rope_parameters"] = {"rope_type": "yarn", "factor": 4.0,
                                  "rope_theta": 10000.0}
        del cfg["rope_theta"]
    elif case == "softcapping":
        cfg["attn_logit_softcapping"] = 30.0
    elif case == "rope-extra-key":
        cfg["rope_scaling"] = {"rope_type": "linear", "factor": 2.0,
                               "attention_factor": 0.5}
    elif case == "quantized":
        cfg["quantization_config"] = {"quant_method": "gptq", "bits": 4}
    elif case == "huge-context":
        cfg["max_position_embeddings"] = 2 ** 32 + 1
    elif case == "control-chars":
        cfg["hidden_act"] = "x\n\x1b[31mforged line"
    elif case == "kv-heads":
        cfg["num_key_value_heads"] = 3
    elif case == "top-k":
        cfg["num_experts_per_tok"] = E + 1
    elif case == "unknown-activation":
        cfg["hidden_act"] = "tanh"

    entries = entries_for(shapes, dtypes)
    blob = safetensors_bytes(entries)
    if case == "truncated":
        blob = blob[:5]
    elif case == "header-too-long":
        blob = safetensors_bytes(entries, length_override=1 << 20)
    elif case == "header-not-json":
        blob = safetensors_bytes(entries, header_override="{\"model.embed\": [")
    elif case in ("offsets-past-end", "overlap", "offsets-vs-shape",
                  "unknown-dtype"):
        header = json.loads(blob[8:8 + struct.unpack("<Q", blob[:8])[0]])
        data = blob[8 + struct.unpack("<Q", blob[:8])[0]:]
        names = list(header)
        if case == "offsets-past-end":
            begin, end = header[names[-1]]["data_offsets"]
            header[names[-1]]["data_offsets"] = [begin, end + 4096]
            header[names[-1]]["shape"] = [V * H + 1024]
        elif case == "overlap":
            begin, end = header[names[1]]["data_offsets"]
            header[names[1]]["data_offsets"] = [begin - 8, end - 8]
        elif case == "offsets-vs-shape":
            header[names[0]]["shape"] = [V, H * 2]
        else:
            header[names[0]]["dtype"] = "Q4_0"
        raw = json.dumps(header).encode()
        blob = struct.pack("<Q", len(raw)) + raw + data

    if case == "predictor-dir":
        # PowerInfer-style: predictor tensors in a directory of their own.
        predictor = {n: s for n, s in shapes.items() if ".predictor." in n}
        for name in predictor:
            del shapes[name]
        pdir = args.out.rstrip("/") + "-predictor"
        os.makedirs(pdir, exist_ok=True)
        with open(os.path.join(pdir, "model.safetensors"), "wb") as f:
            f.write(safetensors_bytes(entries_for(predictor)))
        blob = safetensors_bytes(entries_for(shapes))

    if case == "missing-shard":
        index = {"metadata": {"total_size": len(blob)},
                 "weight_map": {name: "model-00002-of-00002.safetensors"
                                for name in shapes}}
        with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f)
    else:
        with open(st_path, "wb") as f:
            f.write(blob)

    if case == "no-config":
        return
    with open(os.path.join(args.out, "config.json"), "w") as f:
        if case == "config-not-json":
            f.write("{\"architectures\": [\"BambooForCausalLM\"],")
        elif case == "deep-json":
            # 100,000 nested objects: a recursive JSON parser overflows.
            f.write('{"a":' * 100000 + "1" + "}" * 100000)
        elif case == "inf-theta":
            f.write(json.dumps(cfg, indent=1).replace('"rope_theta": 10000.0',
                                                      '"rope_theta": 1e999'))
        else:
            json.dump(cfg, f, indent=1)


if __name__ == "__main__":
    main()
