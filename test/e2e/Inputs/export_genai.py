"""Exports a checkpoint folder with onnxruntime-genai's model builder.

    export_genai.py CHECKPOINT_DIR OUT_DIR PRECISION PROVIDER

PRECISION is fp32, fp16 or int4 and PROVIDER cpu or cuda (the builder's -p and
-e: they decide the graph's ops, not where it runs). The builder ends by saving
the checkpoint's tokenizer files next to the model; sparsec-synth checkpoints
use a byte tokenizer and have none, so that one step is skipped.
"""
import os
import sys

from onnxruntime_genai.models import builder


def main():
    checkpoint, out, precision, provider = sys.argv[1:5]
    builder.Model.save_processing = lambda self, *args, **kwargs: None
    cache = os.path.join(out, ".cache")
    builder.create_model(None, checkpoint, out, precision, provider, cache)


if __name__ == "__main__":
    main()
