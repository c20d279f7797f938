#!/usr/bin/env python3
"""Pairs a synthetic checkpoint's weights with a config.json written by
transformers (Inputs/transformers-*/), into a new checkpoint folder.

    with_config.py SYNTH_DIR CONFIG_JSON OUT_DIR

The weights are linked, not copied. When the config's head_dim differs from
hidden_size / num_attention_heads, the attention projections are replaced by
random ones of the shapes that head_dim implies (seeded, float32).
"""
import json
import os
import shutil
import sys

import numpy as np
from safetensors.numpy import load_file, save_file


def main():
    synth, config_path, out = sys.argv[1:4]
    with open(config_path) as f:
        cfg = json.load(f)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    H, A = cfg["hidden_size"], cfg["num_attention_heads"]
    K = cfg.get("num_key_value_heads") or A
    D = cfg.get("head_dim") or H // A
    files = [n for n in os.listdir(synth) if n.endswith(".safetensors")]
    if D == H // A:
        for name in files:
            os.symlink(os.path.abspath(os.path.join(synth, name)),
                       os.path.join(out, name))
        return
    rng = np.random.default_rng(7)
    for name in files:
        tensors = load_file(os.path.join(synth, name))
        for key in list(tensors):
            rows = {"q_proj": A * D, "k_proj": K * D, "v_proj": K * D}
            for proj, n in rows.items():
                if key.endswith(f"self_attn.{proj}.weight"):
                    tensors[key] = (rng.standard_normal((n, H)) / np.sqrt(H)).astype(np.float32)
            if key.endswith("self_attn.o_proj.weight"):
                tensors[key] = (rng.standard_normal((H, A * D)) / np.sqrt(A * D)).astype(np.float32)
        save_file(tensors, os.path.join(out, name))


if __name__ == "__main__":
    main()
