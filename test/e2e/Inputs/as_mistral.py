"""Copies a sparsec-synth dReLU checkpoint as a plain Mistral one, for the
exporters.

    as_mistral.py SRC_DIR DST_DIR

The exporters know transformers' model classes only: the copy's config.json
says MistralForCausalLM (hidden_act silu) and its safetensors leave the
predictor tensors out (onnxruntime-genai's builder mistakes them for the LM
head). The exported graph is SwiGLU; to_drelu.py turns it back into dReLU.
A mixture-of-experts checkpoint becomes a Mistral whose FFNs are expert 0's
(the exporters write no Mixtral); to_moe.py puts the experts back.
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
    for key in ("num_local_experts", "num_experts_per_tok",
                "output_router_logits", "router_aux_loss_coef"):
        config.pop(key, None)
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tensors = load_file(os.path.join(src, "model.safetensors"))
    expert0 = {"w1": "gate_proj", "w3": "up_proj", "w2": "down_proj"}
    for name in list(tensors):
        if ".block_sparse_moe." not in name:
            continue
        moved = tensors.pop(name)
        prefix, rest = name.split(".block_sparse_moe.")
        parts = rest.split(".")  # experts.E.wN.weight
        if parts[0] == "experts" and parts[1] == "0" and parts[2] in expert0:
            tensors[f"{prefix}.mlp.{expert0[parts[2]]}.weight"] = moved
    save_file({k: v for k, v in tensors.items() if ".predictor." not in k},
              os.path.join(dst, "model.safetensors"), metadata={"format": "pt"})


if __name__ == "__main__":
    main()
