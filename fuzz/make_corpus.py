#!/usr/bin/env python3
"""Regenerates the seed corpora in fuzz/corpus/<harness>/ from the project's
own tools: sparsec-synth tiny checkpoints (config.json, safetensors files and
their bare headers, a sharded index), `sparsec compile` manifests, GGUF files
from test/importer/Inputs/make_gguf.py, small tokenizer.json files trained
with the `tokenizers` package, and the runtime tests' model (through the
weights harness's SPARSEC_FUZZ_WRITE_SEED mode). Regression-style malformed
cases are kept by hand in fuzz/corpus/*/regress-* and never rewritten.

    fuzz/make_corpus.py [--build build] [--fuzz-build build-fuzz]

--build is a normal build (sparsec, sparsec-synth, the Python venv);
--fuzz-build one with the harnesses (scripts/fuzz.sh makes it).
Run it with the venv's python (build/venv/bin/python3).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SEED = 200_000  # bytes; the whole committed corpus stays well under 2 MB


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        print(f"make_corpus: skipping {harness}/{name}: {len(data)} bytes", file=sys.stderr)
        return
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def header_of(safetensors_bytes):
    n = struct.unpack("<Q", safetensors_bytes[:8])[0]
    return safetensors_bytes[8:8 + n].rstrip(b" ")


def clean(harness):
    d = os.path.join(CORPUS, harness)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if not f.startswith("regress-"):
                os.remove(os.path.join(d, f))


def run(*cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


SYNTH = {
    # name: sparsec-synth arguments (tiny: a few KB of weights)
    "mistral": ["--arch", "mistral", "--hidden", "32", "--intermediate", "64", "--layers", "1",
                "--heads", "2", "--kv-heads", "1", "--vocab", "64"],
    "bamboo": ["--arch", "bamboo", "--hidden", "32", "--intermediate", "64", "--layers", "1",
               "--heads", "2", "--kv-heads", "2", "--vocab", "64", "--dtype", "f16"],
    "mixtral": ["--arch", "mixtral", "--hidden", "32", "--intermediate", "32", "--layers", "1",
                "--heads", "2", "--kv-heads", "1", "--vocab", "64", "--experts", "2",
                "--top-k", "1", "--dtype", "bf16"],
}


def synth_seeds(build, tmp):
    for h in ("safetensors", "safetensors_index", "config", "manifest", "gguf"):
        clean(h)
    synth = os.path.join(build, "bin", "sparsec-synth")
    sparsec = os.path.join(build, "bin", "sparsec")
    python = os.path.join(build, "venv", "bin", "python3")
    for name, args in SYNTH.items():
        out = os.path.join(tmp, name)
        run(synth, *args, "--seed", "1", "-q", "-o", out)
        config = read(os.path.join(out, "config.json"))
        put("config", f"{name}.json", config)
        st = read(os.path.join(out, "model.safetensors"))
        put("safetensors", f"{name}.safetensors", st)
        put("safetensors", f"{name}.header.json", header_of(st))
        compiled = os.path.join(tmp, name + "-out")
        run(sparsec, "compile", out, "-o", compiled)
        put("manifest", f"{name}.manifest.json", read(os.path.join(compiled, "manifest.json")))
        packed = read(os.path.join(compiled, "weights.safetensors"))
        put("safetensors", f"{name}.packed.header.json", header_of(packed))
    # config.json with a generation_config.json (config_fuzzer's separator).
    cfg = read(os.path.join(tmp, "mistral", "config.json"))
    gen = json.dumps({"bos_token_id": 1, "eos_token_id": [2, 3], "do_sample": False,
                      "temperature": 0.7}).encode()
    put("config", "mistral+generation.json", cfg + b"\n@@generation_config.json\n" + gen)
    # A sharded checkpoint: the real index, and one naming the harness's shards.
    out = os.path.join(tmp, "sharded")
    run(synth, *SYNTH["mistral"], "--seed", "2", "-q", "--max-shard-size", "4096", "-o", out)
    idx = os.path.join(out, "model.safetensors.index.json")
    if os.path.exists(idx):
        put("safetensors_index", "synth.index.json", read(idx))
    put("safetensors_index", "shards.index.json", json.dumps({
        "metadata": {"total_size": 40},
        "weight_map": {"a": "model-00001-of-00002.safetensors",
                       "b": "model-00001-of-00002.safetensors",
                       "c": "model-00002-of-00002.safetensors"}}, indent=2))
    # GGUF files (llama.cpp's layout, the gguf package's writer/quantizers).
    make_gguf = os.path.join(ROOT, "test", "importer", "Inputs", "make_gguf.py")
    for qtype in ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1"):
        dst = os.path.join(tmp, f"mistral-{qtype}.gguf")
        run(python, make_gguf, os.path.join(tmp, "mistral"), dst, "--type", qtype)
        put("gguf", f"mistral-{qtype}.gguf", read(dst))
    for model, qtype, extra in (("mixtral", "f16", []), ("bamboo", "f16", ["--powerinfer"])):
        dst = os.path.join(tmp, f"{model}.gguf")
        try:
            run(python, make_gguf, os.path.join(tmp, model), dst, "--type", qtype, *extra)
            put("gguf", f"{model}-{qtype}.gguf", read(dst))
        except subprocess.CalledProcessError:
            print(f"make_corpus: {model} GGUF seed skipped (make_gguf.py refused it)",
                  file=sys.stderr)
    k_quants(python, tmp)


def k_quants(python, tmp):
    """One tensor of each K-quant type (256-element blocks) and the scalar
    array/metadata types, written with the gguf package directly."""
    script = r"""
import sys, numpy as np, gguf
from gguf import quants
w = gguf.GGUFWriter(sys.argv[1], "llama")
w.add_uint8("t.u8", 7); w.add_int8("t.i8", -7); w.add_uint16("t.u16", 7)
w.add_int16("t.i16", -7); w.add_uint32("t.u32", 7); w.add_int32("t.i32", -7)
w.add_uint64("t.u64", 7); w.add_int64("t.i64", -7); w.add_float64("t.f64", 0.5)
w.add_bool("t.bool", True); w.add_string("t.str", "x")
w.add_array("t.ints", [1, 2, 3]); w.add_array("t.floats", [0.5, 1.5])
w.add_array("t.strs", ["a", "b"])
rng = np.random.default_rng(0)
for name in ("Q4_K", "Q5_K", "Q6_K"):
    t = getattr(gguf.GGMLQuantizationType, name)
    x = rng.standard_normal((2, 256)).astype(np.float32)
    try:
        q = quants.quantize(x, t)
    except Exception:
        continue
    w.add_tensor(name.lower(), q, raw_dtype=t)
w.add_tensor("i32", np.arange(8, dtype=np.int32))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
"""
    dst = os.path.join(tmp, "types.gguf")
    try:
        run(python, "-c", script, dst)
        put("gguf", "types-kquants.gguf", read(dst))
    except subprocess.CalledProcessError:
        print("make_corpus: K-quant GGUF seed skipped (gguf package cannot quantize)",
              file=sys.stderr)


def tokenizer_seeds(tmp):
    clean("tokenizer")
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, trainers
    corpus = ["Hello world, this is a tiny corpus. It's 2024!", "caf\u00e9 \u65e5\u672c\u8a9e",
              "The quick brown fox jumps over the lazy dog 0123456789.", "  spaces\tand\nlines  "] * 20

    def byte_level(vocab, specials):
        return trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials, show_progress=False,
                                   initial_alphabet=pre_tokenizers.ByteLevel.alphabet())

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, byte_level(300, ["<|endoftext|>"]))
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.add_tokens([AddedToken("[NEW]", single_word=True, normalized=False)])
    put("tokenizer", "bytelevel.json", tok.to_str())

    llama3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
              r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(llama3), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, byte_level(300, ["<|begin_of_text|>", "<|eot_id|>"]))
    put("tokenizer", "split-regex.json", tok.to_str())

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, byte_level(280, ["<|im_start|>", "<|im_end|>"]))
    put("tokenizer", "digits.json", tok.to_str())

    specials = ["<unk>", "<s>", "</s>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=120, special_tokens=specials, show_progress=False, limit_alphabet=60))
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    base = max(vocab.values()) + 1
    for b in range(256):
        vocab.setdefault(f"<0x{b:02X}>", base + b)
    data["pre_tokenizer"] = None
    tok = Tokenizer.from_str(json.dumps(data))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"),
                                           normalizers.Replace(" ", "\u2581")])
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(),
                                     decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens([AddedToken("[INST]", rstrip=True, special=True, normalized=False)])
    put("tokenizer", "sentencepiece.json", tok.to_str())

    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first",
                                                 split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=True)
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=120, special_tokens=specials, show_progress=False, limit_alphabet=60))
    put("tokenizer", "metaspace.json", tok.to_str())


def test_model_seeds(fuzz_build, tmp):
    clean("weights")
    d = os.path.join(tmp, "testmodel")
    os.makedirs(d)
    exe = os.path.join(fuzz_build, "fuzz", "bin", "sparsec-fuzz-weights")
    run(exe, env=dict(os.environ, SPARSEC_FUZZ_WRITE_SEED=d))
    weights = read(os.path.join(d, "weights.safetensors"))
    put("weights", "test-model.safetensors", weights)
    put("weights", "test-model.header.json", header_of(weights))
    manifest = json.loads(read(os.path.join(d, "manifest.json")))
    put("manifest", "test-model.manifest.json", json.dumps(manifest, indent=2))
    manifest["tokenizer"] = {"type": "hf", "file": "tokenizer.json", "bos_id": 256,
                             "eos_ids": [257], "chat_template": "chatml"}
    manifest["vocab_size"] = 512
    put("manifest", "test-model-hf.manifest.json", json.dumps(manifest, indent=2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--fuzz-build", default=os.path.join(ROOT, "build-fuzz"))
    ap.add_argument("--only", choices=["synth", "tokenizer", "test-model"])
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sparsec-corpus-") as tmp:
        if a.only in (None, "synth"):
            synth_seeds(a.build, tmp)
        if a.only in (None, "tokenizer"):
            tokenizer_seeds(tmp)
        if a.only in (None, "test-model"):
            test_model_seeds(a.fuzz_build, tmp)
    total = sum(os.path.getsize(os.path.join(dp, f))
                for dp, _, fs in os.walk(CORPUS) for f in fs)
    print(f"make_corpus: {total} bytes in {CORPUS}")


if __name__ == "__main__":
    main()
