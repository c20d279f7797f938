"""Checks a sparsec eval report: report.html shows report.json's numbers,
and the measured figures meet the bounds given.

    check_report.py REPORT_DIR [--min-agreement A] [--max-kld K] [--min-kld K]
                    [--density D --density-tol T]

Prints one "report ok: ..." line (for FileCheck) or exits non-zero naming
the failed check.
"""
import argparse
import json
import os
import re
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--min-agreement", type=float)
    ap.add_argument("--max-kld", type=float)
    ap.add_argument("--min-kld", type=float)
    ap.add_argument("--density", type=float)
    ap.add_argument("--density-tol", type=float, default=0.1)
    a = ap.parse_args()
    with open(os.path.join(a.dir, "report.json")) as f:
        report = json.load(f)
    with open(os.path.join(a.dir, "report.html")) as f:
        html = f.read()
    cells = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td>", html))

    def shown(label, value, fmt, scale=1.0):
        text = cells.get(label)
        want = fmt % (value * scale)
        if text is None or text.rstrip("%") != want:
            sys.exit(f"report.html shows {label} = {text!r}, report.json says {want}")

    shown("perplexity", report["perplexity"], "%.4f")
    shown("top-1 accuracy", report["top1_accuracy"], "%.2f", 100)
    base = report.get("baseline")
    if base:
        shown("KL divergence, mean", base["kld_mean"], "%.6f")
        shown("KL divergence, p99", base["kld_p99"], "%.6f")
        shown("top-1 agreement", base["top1_agreement"], "%.2f", 100)
        if len(base["kld"]) != report["scored_tokens"]:
            sys.exit("report.json: one KL divergence per scored token expected")
    bars = html.count("<rect ")
    layers = report["layers"]
    expected_bars = len(layers) + len(report.get("predictor_recall", []))
    if bars != expected_bars:
        sys.exit(f"report.html has {bars} bars, expected {expected_bars}")
    if a.min_agreement is not None and base["top1_agreement"] < a.min_agreement:
        sys.exit(f"top-1 agreement {base['top1_agreement']:.4f} < {a.min_agreement}")
    if a.max_kld is not None and base["kld_mean"] > a.max_kld:
        sys.exit(f"mean KL divergence {base['kld_mean']:.3g} > {a.max_kld}")
    if a.min_kld is not None and base["kld_mean"] < a.min_kld:
        sys.exit(f"mean KL divergence {base['kld_mean']:.3g} < {a.min_kld}")
    if a.density is not None:
        for layer in layers:
            if abs(layer["density"] - a.density) > a.density_tol:
                sys.exit(f"layer {layer['layer']}: density {layer['density']:.3f} is "
                         f"not within {a.density_tol} of {a.density}")
    print(f"report ok: {report['scored_tokens']} tokens, {len(layers)} layers"
          + (", vs baseline" if base else ""))


if __name__ == "__main__":
    main()
