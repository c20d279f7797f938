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
    a = ap.parse_args()
    with open(a.file) as f:
        cal = json.load(f)
    keys = [k for k in a.sparsities.split(",")]
    for layer in cal["layers"]:
        where = f"layer {layer['layer']}"
        if a.density is not None and abs(layer["density"] - a.density) > a.density_tol:
            sys.exit(f"{where}: density {layer['density']:.4f} is not within "
                     f"{a.density_tol} of {a.density}")
        thresholds = layer["thresholds"]
        values = [thresholds[k] for k in keys]
        if any(v < 0 for v in values) or values != sorted(values):
            sys.exit(f"{where}: thresholds {values} must grow with the sparsity")
    recall = cal.get("predictor_recall", [])
    if a.min_recall is not None:
        if len(recall) != len(cal["layers"]):
            sys.exit("no predictor recall for every layer")
        worst = min(r["recall"] for r in recall)
        if worst < a.min_recall:
            sys.exit(f"predictor recall {worst:.4f} < {a.min_recall}")
    print(f"calibration ok: {len(cal['layers'])} layers, {cal['tokens']} tokens"
          + (f", predictor recall >= {a.min_recall}" if a.min_recall else ""))


if __name__ == "__main__":
    main()
