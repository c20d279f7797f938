"""Minimal safetensors writer (single file or sharded with an HF index).

Format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
length N, N bytes of JSON header {name: {"dtype", "shape", "data_offsets": [b, e]},
"__metadata__": {...}}, then the raw little-endian tensor bytes.  Offsets are
relative to the end of the header.  The header is padded with spaces to a
multiple of 8 so the data block is 8-byte aligned.

Tensors are kept as numpy arrays in their storage form: float32, float16, or
uint16 holding bfloat16 bit patterns (numpy has no bfloat16).  The storage dtype
tag is passed separately.
"""

import json
import os
import struct

import numpy as np

ST_DTYPE = {"f32": "F32", "f16": "F16", "bf16": "BF16"}
ITEMSIZE = {"f32": 4, "f16": 2, "bf16": 2}


def f32_to_bf16_bits(a):
    """float32 array -> uint16 bfloat16 bit patterns, round to nearest even."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    bits = a.view(np.uint32)
    rounding = ((bits >> np.uint32(16)) & np.uint32(1)) + np.uint32(0x7FFF)
    return ((bits + rounding) >> np.uint32(16)).astype(np.uint16)


def bf16_bits_to_f32(b):
    return (b.astype(np.uint32) << np.uint32(16)).view(np.float32)


def to_storage(a, dtype):
    """float32 array -> storage array for dtype tag."""
    if dtype == "f32":
        return np.ascontiguousarray(a, dtype=np.float32)
    if dtype == "f16":
        return np.ascontiguousarray(a).astype(np.float16)
    if dtype == "bf16":
        return f32_to_bf16_bits(a)
    raise ValueError(f"unsupported dtype {dtype}")


def from_storage(s, dtype):
    """storage array -> float32 (exact upcast)."""
    if dtype == "bf16":
        return bf16_bits_to_f32(s)
    return s.astype(np.float32)


def quantize(a, dtype):
    """Round a float32 array to dtype precision and return (storage, float32 view)."""
    s = to_storage(a, dtype)
    return s, (s if dtype == "f32" else from_storage(s, dtype))


def _header_bytes(names, tensors, dtype):
    header = {"__metadata__": {"format": "pt"}}
    off = 0
    for n in names:
        t = tensors[n]
        nb = t.size * ITEMSIZE[dtype]
        header[n] = {"dtype": ST_DTYPE[dtype], "shape": list(t.shape),
                     "data_offsets": [off, off + nb]}
        off += nb
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return h, off


def write_file(path, names, tensors, dtype):
    h, _ = _header_bytes(names, tensors, dtype)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for n in names:
            t = np.ascontiguousarray(tensors[n])
            f.write(memoryview(t).cast("B"))


def plan_shards(names, tensors, dtype, max_shard_bytes):
    """Greedy split of the (ordered) names into shards of at most max_shard_bytes
    (a single tensor larger than the limit gets a shard of its own)."""
    shards, cur, cur_bytes = [], [], 0
    for n in names:
        nb = tensors[n].size * ITEMSIZE[dtype]
        if cur and cur_bytes + nb > max_shard_bytes:
            shards.append(cur)
            cur, cur_bytes = [], 0
        cur.append(n)
        cur_bytes += nb
    if cur:
        shards.append(cur)
    return shards


def write_checkpoint(out_dir, tensors, dtype, max_shard_bytes, log=None):
    """Write tensors (dict name -> storage array) as model.safetensors, or as
    model-0000k-of-0000n.safetensors + model.safetensors.index.json when the
    total exceeds max_shard_bytes.  Returns the list of files written."""
    names = sorted(tensors)
    shards = plan_shards(names, tensors, dtype, max_shard_bytes)
    total = sum(tensors[n].size * ITEMSIZE[dtype] for n in names)
    if len(shards) == 1:
        write_file(os.path.join(out_dir, "model.safetensors"), names, tensors, dtype)
        return ["model.safetensors"]
    files, weight_map = [], {}
    for k, shard in enumerate(shards):
        fn = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        if log:
            log(f"writing {fn}")
        write_file(os.path.join(out_dir, fn), shard, tensors, dtype)
        files.append(fn)
        for n in shard:
            weight_map[n] = fn
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)
        f.write("\n")
    files.append("model.safetensors.index.json")
    return files
