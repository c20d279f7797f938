"""Fits low-rank activity predictors to recorded FFN activations.

    sparsec-fit-predictors RECORDS_DIR MODEL_DIR -o OUT_DIR [--rank R]
                           [--held-out 0.2] [--epochs N] [--target-recall 0.95]

`sparsec calibrate --fit-predictors` runs this on the records of a dense run
(RECORDS_DIR/records.json: per layer the FFN input x = RMSNorm(r) * w and the
activation each neuron feeds the down projection). A neuron is active on a
token when its activation is not exactly zero (ReLU/dReLU FFNs). The
predictor is sparsec's: score = fc2 relu(fc1 r), active iff score > 0, on
the residual r before the FFN's norm. Scores of this form are positively
homogeneous in r, so fitting on z = x / w = r / rms(r) gives the same
decisions on r.

Method, per layer:
  1. initialisation from the gate: the rank-R/2 SVD U S V^T of
     Wgate diag(w) as fc1 = [V^T; -V^T], fc2 = [U S, -U S], so that
     fc2 relu(fc1 z) is the low-rank approximation of the gate's
     pre-activation (a neuron whose gate is negative never fires);
  2. training on the first (1 - held_out) of the tokens: Adam on a
     binary cross-entropy of the scores against the activity, positives
     weighted to favour recall, the weight raised (up to 4 rounds) until the
     recall on a validation tenth of them reaches --target-recall;
  3. recall, precision and the predicted density on the held-out tokens.
Cost: one SVD of [neurons, hidden] per layer, then epochs x tokens x rank x
(hidden + neurons) multiply-adds.

Writes OUT_DIR/model.safetensors (model.layers.N.mlp.predictor.fc1/
fc2.weight, f32: what --predictor-dir reads) and OUT_DIR/predictor_report.json.
MoE experts are fitted alike, each on the tokens routed to it (its records
hold those only), under model.layers.N.block_sparse_moe.experts.E.predictor.
"""

import argparse
import json
import os
import struct
import sys
import time

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_tensor(model_dir, name, index):
    """A tensor of a safetensors checkpoint, as float32 (BF16 widened)."""
    path = index.get(name)
    if path is None:
        return None
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
        info = header[name]
        begin, end = info["data_offsets"]
        f.seek(8 + header_len + begin)
        raw = f.read(end - begin)
    shape = info["shape"]
    if info["dtype"] == "BF16":
        bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    if info["dtype"] not in DTYPES:
        sys.exit(f"{path}: tensor '{name}' has dtype {info['dtype']}; "
                 "expected F32, F16 or BF16")
    return np.frombuffer(raw, dtype=DTYPES[info["dtype"]]).astype(np.float32).reshape(shape)


def tensor_index(model_dir):
    if not os.path.isdir(model_dir):
        sys.exit(f"{model_dir}: predictors are fitted for safetensors checkpoints "
                 "(a folder with config.json and *.safetensors)")
    index = {}
    for file in sorted(os.listdir(model_dir)):
        if not file.endswith(".safetensors"):
            continue
        path = os.path.join(model_dir, file)
        with open(path, "rb") as f:
            header_len = struct.unpack("<Q", f.read(8))[0]
            for name in json.loads(f.read(header_len)):
                if name != "__metadata__":
                    index[name] = path
    if not index:
        sys.exit(f"{model_dir}: no *.safetensors files")
    return index


def load_record(records_dir, entry):
    values = np.fromfile(os.path.join(records_dir, entry["file"]), dtype=np.float16)
    return values.astype(np.float32).reshape(entry["rows"], entry["count"])


class Adam:
    def __init__(self, params, lr):
        self.params, self.lr, self.t = params, lr, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            mh = m / (1 - 0.9 ** self.t)
            vh = v / (1 - 0.999 ** self.t)
            p -= self.lr * mh / (np.sqrt(vh) + 1e-8)


def scores(z, fc1, fc2):
    return np.maximum(z @ fc1.T, 0.0) @ fc2.T


def recall_precision(pred, active):
    tp = np.logical_and(pred, active).sum()
    recall = tp / max(active.sum(), 1)
    precision = tp / max(pred.sum(), 1)
    return float(recall), float(precision)


def fit_layer(z_all, y_all, gate, rank, epochs, target_recall, rng):
    """fc1 [rank, hidden], fc2 [neurons, rank] for one layer. The last tenth
    of the tokens given is a validation set: the positives' weight rises
    until the recall there (not on the tokens trained on, which a predictor
    of this size overfits) reaches target_recall."""
    split = max(1, int(len(z_all) * 0.9))
    z_train, y_train = z_all[:split], y_all[:split]
    z_val, y_val = z_all[split:], y_all[split:]
    half = rank // 2
    u, s, vt = np.linalg.svd(gate, full_matrices=False)
    fc1 = np.concatenate([vt[:half], -vt[:half]]).astype(np.float32)
    fc2 = np.concatenate([u[:, :half] * s[:half], -u[:, :half] * s[:half]], axis=1)
    fc2 = fc2.astype(np.float32)
    tokens, neurons = y_train.shape
    positive_rate = max(float(y_train.mean()), 1e-4)
    # Balanced classes to start with, then more weight on the positives.
    weight = min(10.0, (1.0 - positive_rate) / positive_rate)
    batch = min(256, tokens)
    for _ in range(4):  # raise the positives' weight until recall is reached
        adam = Adam([fc1, fc2], lr=2e-3)
        for _ in range(epochs):
            order = rng.permutation(tokens)
            for start in range(0, tokens, batch):
                rows = order[start:start + batch]
                z, y = z_train[rows], y_train[rows]
                a = z @ fc1.T
                h = np.maximum(a, 0.0)
                s = h @ fc2.T
                sig = 1.0 / (1.0 + np.exp(-np.clip(s, -30, 30)))
                ds = (weight * y * (sig - 1.0) + (1.0 - y) * sig) / (len(rows) * neurons)
                g2 = ds.T @ h
                g1 = ((ds @ fc2) * (a > 0)).T @ z
                adam.step([g1, g2])
        recall, _ = recall_precision(scores(z_val, fc1, fc2) > 0, y_val > 0)
        if recall >= target_recall:
            break
        weight *= 3.0
    return fc1, fc2, weight


def main():
    ap = argparse.ArgumentParser(prog="sparsec-fit-predictors", description=__doc__.split("\n")[0])
    ap.add_argument("records", help="RECORDS_DIR of OUT/model --eval --record")
    ap.add_argument("model", help="the checkpoint folder (gate and norm weights)")
    ap.add_argument("-o", "--output", required=True, help="folder for the predictors")
    ap.add_argument("--rank", type=int, default=0,
                    help="predictor rank (rows of fc1; default min(1024, neurons / 8), at "
                         "least 32, even)")
    ap.add_argument("--held-out", type=float, default=0.2,
                    help="fraction of the tokens (the last ones) kept for recall")
    ap.add_argument("--epochs", type=int, default=20, help="training epochs per round")
    ap.add_argument("--target-recall", type=float, default=0.99,
                    help="recall to reach on the validation tenth of the training "
                         "tokens (default 0.99)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    if not 0.0 < a.held_out < 1.0:
        sys.exit("--held-out must be in (0, 1)")

    with open(os.path.join(a.records, "records.json")) as f:
        entries = json.load(f)
    index = tensor_index(a.model)
    by_layer = {}
    for e in entries:
        by_layer.setdefault((e["layer"], e["expert"]), {})[e["kind"]] = e
    rng = np.random.default_rng(a.seed)
    tensors, report = {}, []
    for (layer, expert), kinds in sorted(by_layer.items()):
        if "input" not in kinds or "activation" not in kinds:
            sys.exit(f"{a.records}: layer {layer} lacks its input or activation record")
        t0 = time.time()
        x = load_record(a.records, kinds["input"])
        active = load_record(a.records, kinds["activation"]) != 0
        prefix = f"model.layers.{layer}."
        ffn = (prefix + "mlp." if expert < 0
               else f"{prefix}block_sparse_moe.experts.{expert}.")
        gate_name = ffn + ("gate_proj.weight" if expert < 0 else "w1.weight")
        norm = read_tensor(a.model, prefix + "post_attention_layernorm.weight", index)
        gate = read_tensor(a.model, gate_name, index)
        if norm is None or gate is None:
            sys.exit(f"{a.model}: no {prefix}post_attention_layernorm.weight or "
                     f"{gate_name}")
        where = f"layer {layer}" + (f" expert {expert}" if expert >= 0 else "")
        safe = np.where(norm != 0, norm, 1.0)
        z = np.where(norm != 0, x / safe, 0.0).astype(np.float32)
        hidden, neurons = z.shape[1], active.shape[1]
        rank = a.rank or min(1024, max(32, neurons // 8))
        rank += rank % 2
        split = int(round(len(z) * (1.0 - a.held_out)))
        if split < 16 or len(z) - split < 16:
            sys.exit(f"{a.records}: {where} ran on {len(z)} tokens, too few to fit "
                     "and hold out (record more with --tokens)")
        fc1, fc2, weight = fit_layer(z[:split], active[:split].astype(np.float32),
                                     gate * norm[None, :], rank, a.epochs,
                                     a.target_recall, rng)
        pred = scores(z[split:], fc1, fc2) > 0
        recall, precision = recall_precision(pred, active[split:])
        entry = {"layer": layer, "expert": expert, "recall": recall, "precision": precision,
                 "density": float(active[split:].mean()),
                 "predicted_density": float(pred.mean()), "rank": rank,
                 "positive_weight": weight, "train_tokens": split,
                 "held_out_tokens": len(z) - split,
                 "seconds": round(time.time() - t0, 2)}
        report.append(entry)
        tensors[ffn + "predictor.fc1.weight"] = fc1
        tensors[ffn + "predictor.fc2.weight"] = fc2
        if not a.quiet:
            print(f"sparsec-fit-predictors: {where}: recall {recall:.4f}, precision "
                  f"{precision:.4f}, predicted density {entry['predicted_density']:.4f} "
                  f"(activations {entry['density']:.4f}), rank {rank}", file=sys.stderr)
    if not tensors:
        sys.exit(f"{a.records}: no FFN to fit")
    os.makedirs(a.output, exist_ok=True)
    from safetensors.numpy import save_file
    save_file(tensors, os.path.join(a.output, "model.safetensors"))
    with open(os.path.join(a.output, "predictor_report.json"), "w") as f:
        json.dump({"method": "gate SVD initialisation, then weighted cross-entropy "
                             "(Adam); active iff fc2 relu(fc1 r) > 0",
                   "held_out": a.held_out, "layers": report}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
