#!/usr/bin/env python3
"""Writes the config.json fixtures under transformers-<version>/ exactly as
that transformers release's save_pretrained writes them (no torch needed).
They were made once with:

    pip install transformers==4.57.1 && python write_transformers_configs.py transformers-4.57.1
    pip install transformers==5.24.0 && python write_transformers_configs.py transformers-5.24.0

4.x writes "rope_theta" and "rope_scaling"; 5.x writes "rope_parameters".
The sizes match `sparsec-synth --hidden 64 --intermediate 256 --layers 2
--heads 4 --kv-heads 2 --vocab 256` so that the tests can pair them with
synthetic weights (with_config.py).
"""
import sys, os, json
import transformers
from transformers import LlamaConfig, MistralConfig, MixtralConfig
out = sys.argv[1]
v = transformers.__version__
os.makedirs(out, exist_ok=True)
small = dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=256, max_position_embeddings=512)
cfgs = {
 "llama": LlamaConfig(**small, rope_theta=100000.0, tie_word_embeddings=True),
 "llama3-scaling": LlamaConfig(**small, rope_theta=500000.0, rope_scaling={"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":64}),
 "llama-linear": LlamaConfig(**small, rope_scaling={"rope_type":"linear","factor":2.0}),
 "llama-headdim": LlamaConfig(**small, head_dim=32),
 "mistral": MistralConfig(**small, sliding_window=16),
 "mixtral": MixtralConfig(**small, num_local_experts=4, num_experts_per_tok=2),
}
for name, c in cfgs.items():
    d = os.path.join(out, name); c.save_pretrained(d)
    print(v, name, open(os.path.join(d, "config.json")).read())
