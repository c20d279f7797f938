#!/usr/bin/env python3
"""Checks a packed weights file against its source checkpoint, independently
of sparsec's code: both are read with the PyPI safetensors package.

    check_packed.py PACKED.safetensors MODEL_DIR

Every tensor of the packed file must equal its source as
runtime/include/sparsec/weights_layout.h defines it (plain, transposed, or a
neuron bundle whose sources are listed in the IR and here recovered from the
bundle's name), and the metadata must carry the layout version and a hash.
"""
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def main():
    packed_path, model_dir = sys.argv[1], sys.argv[2]
    packed = load_file(packed_path)
    source = load_file(os.path.join(model_dir, "model.safetensors"))
    with safe_open(packed_path, "np") as f:
        meta = f.metadata()
    assert meta["sparsec.layout_version"] == "1", meta
    assert len(meta["sparsec.source_hash"]) == 16, meta
    checked = 0
    for name, tensor in packed.items():
        if name.endswith(".transposed"):
            expected = source[name[: -len(".transposed")]].T
        elif name.endswith("neuron_bundles"):
            prefix = name[: -len("neuron_bundles")]
            parts = tensor.shape[1]
            if prefix.endswith("mlp."):
                names = ["gate_proj", "up_proj", "down_proj"][3 - parts:]
            else:
                names = ["w1", "w3", "w2"][3 - parts:]
            expected = np.stack(
                [source[prefix + n + ".weight"].T if n in ("down_proj", "w2")
                 else source[prefix + n + ".weight"] for n in names], axis=1)
        else:
            expected = source[name]
        assert tensor.shape == expected.shape, (name, tensor.shape, expected.shape)
        assert tensor.dtype == expected.dtype, name
        assert np.array_equal(tensor, expected), name
        checked += 1
    print(f"packed ok: {checked} tensors match their sources")


if __name__ == "__main__":
    main()
