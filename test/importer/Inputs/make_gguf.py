#!/usr/bin/env python3
"""Writes a GGUF file from a Hugging Face checkpoint the way llama.cpp's
converter (convert_hf_to_gguf.py) lays one out, with the PyPI `gguf` package
(llama.cpp's own writer and quantizers): llama.cpp tensor names, q/k rows
permuted for llama.cpp's interleaved RoPE, Mixtral experts merged into
[experts, rows, cols] tensors, metadata under "llama.".

    make_gguf.py MODEL_DIR OUT.gguf
                 [--type f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k|q6_k]
                 [--case CASE] [--powerinfer]

--type applies to 2-D weight matrices; norms stay F32 as llama.cpp keeps them.
The `gguf` package has no k-quant quantizer: q4_k/q6_k super-blocks are written
by the reference's encoder (sparsec_reference.encode_kquant, checked against
the package's decoder), and rows that are not whole super-blocks fall back to
q4_1/q8_0 as llama.cpp's k-quant mixes do.
--case writes one named malformation for the importer's error tests.
--powerinfer writes a sparse model (Bamboo, TurboSparse-Mistral, with its
predictors) as PowerInfer's converter does: architecture "bamboo", magic
"PWRI", predictors as blk.N.fc1/fc2, the down projection transposed as
blk.N.ffn_down_t ([intermediate, hidden]), powerinfer.sparse_threshold.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tools", "reference"))
import sparsec_reference  # noqa: E402  (its safetensors reader)

import gguf  # noqa: E402


def permute(w, heads):
    """llama.cpp's LlamaModel.permute: interleave each head's rotary halves."""
    return (w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--type", default="f16",
                    choices=["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1",
                             "q4_k", "q6_k"])
    ap.add_argument("--case", default="ok")
    ap.add_argument("--powerinfer", action="store_true")
    a = ap.parse_args()
    ck = sparsec_reference.Checkpoint(a.model_dir)
    c = ck.config
    arch = (c.get("architectures") or [{"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                                         "mixtral": "MixtralForCausalLM"}.get(c.get("model_type"), "?")])[0]
    if a.powerinfer != (arch == "BambooForCausalLM") or arch not in (
            "MistralForCausalLM", "LlamaForCausalLM", "MixtralForCausalLM", "BambooForCausalLM"):
        sys.exit(f"make_gguf.py: {arch}: SwiGLU Llama/Mistral/Mixtral, or Bamboo with --powerinfer")
    H, A = c["hidden_size"], c["num_attention_heads"]
    K = c.get("num_key_value_heads") or A
    L = c["num_hidden_layers"]
    experts = c.get("num_local_experts") or 0
    qtype = getattr(gguf.GGMLQuantizationType, a.type.upper())

    gguf_arch = "gemma2" if a.case == "architecture" else "bamboo" if a.powerinfer else "llama"
    w = gguf.GGUFWriter(a.out, gguf_arch)
    w.add_name(os.path.basename(os.path.normpath(a.model_dir)))
    w.add_context_length(c.get("max_position_embeddings", 4096))
    w.add_embedding_length(H)
    w.add_block_count(L)
    w.add_feed_forward_length(c["intermediate_size"])
    w.add_head_count(A)
    w.add_head_count_kv(K)
    w.add_rope_freq_base(float(c.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(c.get("rms_norm_eps", 1e-6)))
    w.add_rope_dimension_count(H // A)
    if a.powerinfer:
        pred = c.get("sparsec_predictor") or {}
        w.add_float32("powerinfer.sparse_threshold", float(pred.get("threshold", 0.0)))
    w.add_vocab_size(c["vocab_size"])
    if experts:
        w.add_expert_count(experts)
        w.add_expert_used_count(c["num_experts_per_tok"])
    if a.case == "unknown-key":
        w.add_float32("llama.attention.logit_softcapping", 30.0)
    if a.case == "yarn":
        w.add_string("llama.rope.scaling.type", "yarn")
        w.add_float32("llama.rope.scaling.factor", 4.0)

    def put(name, x, matrix=True):
        x = np.ascontiguousarray(x, dtype=np.float32)
        if not matrix or qtype == gguf.GGMLQuantizationType.F32:
            w.add_tensor(name, x)
        elif qtype == gguf.GGMLQuantizationType.F16:
            w.add_tensor(name, x.astype(np.float16))
        elif a.type in ("q4_k", "q6_k"):
            fmt = sparsec_reference.quant_format_for(a.type, x.shape[-1])
            if fmt == a.type:
                q = sparsec_reference.encode_kquant(x.reshape(-1, x.shape[-1]), fmt)
                q = q.reshape(*x.shape[:-1], q.shape[-1])
                w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)
            else:
                fallback = getattr(gguf.GGMLQuantizationType, fmt.upper())
                q = gguf.quants.quantize(x, fallback)
                w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=fallback)
        else:
            q = gguf.quants.quantize(x, qtype)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)

    put("token_embd.weight", ck.get("model.embed_tokens.weight"))
    for layer in range(L):
        p = f"model.layers.{layer}."
        b = f"blk.{layer}."
        put(b + "attn_norm.weight", ck.get(p + "input_layernorm.weight"), False)
        put(b + "attn_q.weight", permute(ck.get(p + "self_attn.q_proj.weight"), A))
        put(b + "attn_k.weight", permute(ck.get(p + "self_attn.k_proj.weight"), K))
        put(b + "attn_v.weight", ck.get(p + "self_attn.v_proj.weight"))
        put(b + "attn_output.weight", ck.get(p + "self_attn.o_proj.weight"))
        put(b + "ffn_norm.weight", ck.get(p + "post_attention_layernorm.weight"), False)
        if experts:
            m = p + "block_sparse_moe."
            put(b + "ffn_gate_inp.weight", ck.get(m + "gate.weight"))
            for kind, hf in (("ffn_gate_exps", "w1"), ("ffn_down_exps", "w2"),
                             ("ffn_up_exps", "w3")):
                put(b + kind + ".weight",
                    np.stack([ck.get(f"{m}experts.{e}.{hf}.weight") for e in range(experts)]))
        elif a.powerinfer:
            put(b + "ffn_gate.weight", ck.get(p + "mlp.gate_proj.weight"))
            put(b + "ffn_up.weight", ck.get(p + "mlp.up_proj.weight"))
            put(b + "ffn_down_t.weight", ck.get(p + "mlp.down_proj.weight").T)
            put(b + "fc1.weight", ck.get(p + "mlp.predictor.fc1.weight"))
            put(b + "fc2.weight", ck.get(p + "mlp.predictor.fc2.weight"))
        else:
            put(b + "ffn_gate.weight", ck.get(p + "mlp.gate_proj.weight"))
            put(b + "ffn_up.weight", ck.get(p + "mlp.up_proj.weight"))
            put(b + "ffn_down.weight", ck.get(p + "mlp.down_proj.weight"))
        if a.case == "bias" and layer == 0:
            put(b + "attn_q.bias", np.zeros(H, np.float32), False)
    put("output_norm.weight", ck.get("model.norm.weight"), False)
    if not c.get("tie_word_embeddings"):
        put("output.weight", ck.get("lm_head.weight"))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if a.powerinfer:
        with open(a.out, "r+b") as f:  # PowerInfer's magic for sparse models
            f.write(b"PWRI")


if __name__ == "__main__":
    main()
