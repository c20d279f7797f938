#!/usr/bin/env python3
"""llama.cpp as a decode-speed peer, from PyPI packages only.

Runs in its own venv (llama-cpp-python builds llama.cpp from source, which
takes minutes; keep it out of the test venv):

    python3 -m venv build/llama-venv
    CMAKE_ARGS="-DGGML_NATIVE=ON" build/llama-venv/bin/pip install \\
        llama-cpp-python==0.3.36 gguf==0.17.1 numpy==2.2.6

    build/llama-venv/bin/python benchmarks/llama_cpp_peer.py convert MODEL_DIR OUT.gguf --type q4_0
    build/llama-venv/bin/python benchmarks/llama_cpp_peer.py run OUT.gguf --threads 2 --tokens 16

`convert` writes a sparsec synthetic checkpoint (config.json + safetensors,
Mistral/Bamboo-shaped) as a GGUF file of llama.cpp's `llama` architecture,
every matrix quantized by the `gguf` package (llama.cpp's own Python
quantizer; q4_k/q6_k by llama.cpp's C quantizer) to the type asked, norms in f32, and a placeholder vocabulary
(byte tokens plus fillers). It is a *speed* peer: llama.cpp runs the same
shapes and reads the same number of weight bytes per token, but it computes
SwiGLU where the checkpoint is dReLU and its q/k rows are not permuted for
llama.cpp's RoPE, so its outputs are not comparable and are never compared.

`run` decodes `--tokens` tokens one at a time (after one warm-up token) and
prints one JSON line: the median and all ms per token, and the weight bytes
a token reads (every tensor but the embedding table, plus one of its rows).
`prefill` processes one prompt of `--length` tokens as one batch (as
`llama-bench -p` does; the second of two runs) and prints its tokens/s.
"""
import argparse
import json
import os
import statistics
import struct
import sys
import time

import numpy as np


def read_safetensors(model_dir):
    """{name: np.ndarray} for every *.safetensors file in model_dir (mmap'd)."""
    tensors = {}
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}
    for name in sorted(os.listdir(model_dir)):
        if not name.endswith(".safetensors"):
            continue
        path = os.path.join(model_dir, name)
        with open(path, "rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(size))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
        for key, info in header.items():
            if key == "__metadata__":
                continue
            start, end = info["data_offsets"]
            dtype = dtypes[info["dtype"]]
            array = data[start:end].view(dtype).reshape(info["shape"])
            if info["dtype"] == "BF16":
                array = (array.astype(np.uint32) << 16).view(np.float32)
            tensors[key] = array
    return tensors


def convert(args):
    """Writes the GGUF; the k-quants through llama.cpp's own quantizer (the
    `gguf` package has none): an f16 file first, then llama_model_quantize
    with `pure` (every matrix in the type asked, as sparsec's --quant
    --quant-keep none; llama.cpp's Q4_K_S/M mixes would put some in Q5_K/Q6_K)."""
    if args.type in ("q4_k", "q6_k"):
        import llama_cpp

        f16 = args.out + ".f16.tmp"
        convert(argparse.Namespace(model_dir=args.model_dir, out=f16, type="f16"))
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = {"q4_k": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_S,
                        "q6_k": llama_cpp.LLAMA_FTYPE_MOSTLY_Q6_K}[args.type]
        params.pure = True
        params.nthread = os.cpu_count() or 1
        print(f"llama_cpp_peer: llama_model_quantize to {args.type} (pure)",
              file=sys.stderr)
        import ctypes
        status = llama_cpp.llama_model_quantize(f16.encode(), args.out.encode(),
                                                ctypes.byref(params))
        os.remove(f16)
        if status != 0:
            sys.exit(f"llama_cpp_peer: llama_model_quantize failed ({status})")
        return
    import gguf

    cfg = json.load(open(os.path.join(args.model_dir, "config.json")))
    qtype = {"q4_0": gguf.GGMLQuantizationType.Q4_0,
             "q8_0": gguf.GGMLQuantizationType.Q8_0,
             "f16": gguf.GGMLQuantizationType.F16}[args.type]
    H, L = cfg["hidden_size"], cfg["num_hidden_layers"]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    V = cfg["vocab_size"]
    w = gguf.GGUFWriter(args.out, "llama")
    w.add_name("sparsec-bench-peer")
    w.add_context_length(cfg.get("max_position_embeddings", 4096))
    w.add_embedding_length(H)
    w.add_block_count(L)
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_rope_dimension_count(cfg.get("head_dim") or H // heads)
    w.add_rope_freq_base(float(cfg.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-5)))
    w.add_file_type({"q4_0": 2, "q8_0": 7, "f16": 1}[args.type])
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tokens += [f"\u2581t{i}" for i in range(V - len(tokens))]
    types = [2, 3, 3] + [6] * 256 + [1] * (V - 259)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * V)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    src = read_safetensors(args.model_dir)
    names = {"model.embed_tokens.weight": "token_embd.weight",
             "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    per_layer = {"input_layernorm.weight": "attn_norm.weight",
                 "self_attn.q_proj.weight": "attn_q.weight",
                 "self_attn.k_proj.weight": "attn_k.weight",
                 "self_attn.v_proj.weight": "attn_v.weight",
                 "self_attn.o_proj.weight": "attn_output.weight",
                 "post_attention_layernorm.weight": "ffn_norm.weight",
                 "mlp.gate_proj.weight": "ffn_gate.weight",
                 "mlp.up_proj.weight": "ffn_up.weight",
                 "mlp.down_proj.weight": "ffn_down.weight"}
    for i in range(L):
        for hf, gg in per_layer.items():
            names[f"model.layers.{i}.{hf}"] = f"blk.{i}.{gg}"
    for hf, gg in names.items():
        if hf not in src:
            sys.exit(f"llama_cpp_peer: {args.model_dir}: tensor {hf} missing")
        array = np.asarray(src[hf], dtype=np.float32)
        if array.ndim == 1:
            w.add_tensor(gg, array)
            continue
        print(f"llama_cpp_peer: quantizing {hf} {list(array.shape)} to {args.type}",
              file=sys.stderr)
        data = gguf.quants.quantize(array, qtype)
        w.add_tensor(gg, data, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def weight_bytes(path):
    """Bytes a decoded token reads: every tensor but the embedding table, and
    one row of that."""
    import gguf

    reader = gguf.GGUFReader(path)
    total = 0
    for t in reader.tensors:
        if t.name == "token_embd.weight":
            total += int(t.n_bytes) // int(t.shape[-1])
        else:
            total += int(t.n_bytes)
    return total


def run(args):
    from llama_cpp import Llama

    llm = Llama(model_path=args.gguf, n_ctx=256, n_threads=args.threads,
                n_threads_batch=args.threads, n_batch=1, verbose=False)
    times = []
    llm.reset()
    for i in range(args.tokens + 1):
        start = time.perf_counter()
        llm.eval([259 + (i * 7919) % 1000])
        times.append((time.perf_counter() - start) * 1e3)
    times = times[1:]
    print(json.dumps({"ms_per_token": statistics.median(times), "all": times,
                      "bytes_per_token": weight_bytes(args.gguf)}))


def prefill(args):
    """Times one prompt of --length tokens processed as one batch (as
    llama-bench -p does), after a warm-up prompt."""
    from llama_cpp import Llama

    llm = Llama(model_path=args.gguf, n_ctx=args.length + 8,
                n_threads=args.threads, n_threads_batch=args.threads,
                n_batch=args.length, n_ubatch=args.length, verbose=False)
    tokens = [259 + (i * 7919) % 1000 for i in range(args.length)]
    times = []
    for _ in range(2):
        llm.reset()
        start = time.perf_counter()
        llm.eval(tokens)
        times.append(time.perf_counter() - start)
    print(json.dumps({"tokens_per_second": args.length / times[-1],
                      "seconds": times[-1]}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="checkpoint -> GGUF (llama architecture)")
    c.add_argument("model_dir")
    c.add_argument("out")
    c.add_argument("--type", choices=["q4_0", "q8_0", "q4_k", "q6_k", "f16"],
                   default="q4_0")
    r = sub.add_parser("run", help="time decode of one token at a time")
    r.add_argument("gguf")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--tokens", type=int, default=16)
    p = sub.add_parser("prefill", help="time one prompt processed as a batch")
    p.add_argument("gguf")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--length", type=int, default=512)
    args = ap.parse_args()
    {"convert": convert, "run": run, "prefill": prefill}[args.command](args)


if __name__ == "__main__":
    main()
