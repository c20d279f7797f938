"""sparsec-synth: synthetic TurboSparse-shaped Hugging Face checkpoints for sparsec tests
and benchmarks (see model.py for how activation statistics and predictors are planted)."""

__version__ = "0.1.0"


def main(argv=None):
    from .cli import main as _main
    return _main(argv)
