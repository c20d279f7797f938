"""Checks sparsec calibrate's calibration.json.

    check_calibration.py CALIBRATION.json [--density D --density-tol T]
                         [--min-recall R] [--sparsities 0.4,0.5]

Prints one "calibration ok: ..." line (for FileCheck) or exits non-zero.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--density", type=float)
    ap.add_argument("--density-tol", type=float, default=0.05)
    ap.add_argument("--min-recall", type=float)
    ap.add_argument("--sparsities", default="0.4,0.5")
    ap.add_argument("--experts", action="store_true",
                    help="an MoE model: statistics and predictors per expert")
    a = ap.parse_args()
    with open(a.file) as f:
        cal = json.load(f)
    keys = [k for k in a.sparsities.split(",")]
    ffns = []
    for layer in cal["layers"]:
        for ffn in (layer["experts"] if a.experts else [layer]):
            ffns.append((f"layer {layer['layer']}"
                         + (f" expert {ffn['expert']}" if a.experts else ""), ffn))
    for where, ffn in ffns:
        if a.density is not None and abs(ffn["density"] - a.density) > a.density_tol:
            sys.exit(f"{where}: density {ffn['density']:.4f} is not within "
                     f"{a.density_tol} of {a.density}")
        thresholds = ffn["thresholds"]
        values = [thresholds[k] for k in keys]
        if any(v < 0 for v in values) or values != sorted(values):
            sys.exit(f"{where}: thresholds {values} must grow with the sparsity")
        if a.min_recall is not None and "predicted_density" not in ffn:
            sys.exit(f"{where}: no predicted density from the fitted predictor")
    recall = cal.get("predictor_recall", [])
    if a.min_recall is not None:
        if len(recall) != len(ffns):
            sys.exit(f"{len(recall)} predictor recalls for {len(ffns)} FFNs")
        worst = min(r["recall"] for r in recall)
        if worst < a.min_recall:
            sys.exit(f"predictor recall {worst:.4f} < {a.min_recall}")
    print(f"calibration ok: {len(cal['layers'])} layers, {cal['tokens']} tokens"
          + (f", predictor recall >= {a.min_recall}" if a.min_recall else ""))


if __name__ == "__main__":
    main()
