"""Copies a sparsec-synth dReLU checkpoint as a plain Mistral one, for the
exporters.

    as_mistral.py SRC_DIR DST_DIR

The exporters know transformers' model classes only: the copy's config.json
says MistralForCausalLM (hidden_act silu) and its safetensors leave the
predictor tensors out (onnxruntime-genai's builder mistakes them for the LM
head). The exported graph is SwiGLU; to_drelu.py turns it back into dReLU.
"""
import json
import os
import sys

from safetensors.numpy import load_file, save_file


def main():
    src, dst = sys.argv[1:3]
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(src, "config.json")) as f:
        config = json.load(f)
    config.update(architectures=["MistralForCausalLM"], model_type="mistral",
                  hidden_act="silu")
    for key in [k for k in config if k.startswith("sparsec_")]:
        del config[key]
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tensors = load_file(os.path.join(src, "model.safetensors"))
    save_file({k: v for k, v in tensors.items() if ".predictor." not in k},
              os.path.join(dst, "model.safetensors"), metadata={"format": "pt"})


if __name__ == "__main__":
    main()
