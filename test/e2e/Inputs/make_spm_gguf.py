#!/usr/bin/env python3
"""A GGUF with a SentencePiece ("llama") tokenizer, as llama.cpp's converter
writes Llama-2 / Mistral / TurboSparse models, and the check of the
tokenizer sparsec derives from it against SentencePiece itself.

    make_spm_gguf.py write MODEL_DIR OUT.gguf SPM_PREFIX
        trains a BPE SentencePiece model (byte fallback, identity
        normalization, as Llama's) to the checkpoint's vocabulary size, saves
        SPM_PREFIX.model, and writes OUT.gguf: the checkpoint's weights (F32)
        with tokenizer.ggml.{model=llama, tokens, scores, token_type,
        bos/eos/unknown ids}.
    make_spm_gguf.py check SPM_PREFIX.model OUT/tokenizer.json SPARSEC_TOKENIZE
        encodes several thousand generated strings with the `sentencepiece`
        package and with sparsec's runtime (sparsec-tokenize) and compares the
        ids, and the decoded text.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tools", "reference"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "importer", "Inputs"))


def corpus():
    from test_tokenizer_agreement import training_corpus
    return training_corpus()


def write(model_dir, out, prefix):
    import gguf
    import sentencepiece as spm
    import sparsec_reference
    ck = sparsec_reference.Checkpoint(model_dir)
    vocab = ck.config["vocab_size"]
    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "corpus.txt")
        with open(text, "w") as f:
            f.write("\n".join(line for line in corpus() if line.strip()))
        spm.SentencePieceTrainer.train(
            input=text, model_prefix=prefix, vocab_size=vocab, model_type="bpe",
            byte_fallback=True, normalization_rule_name="identity",
            character_coverage=0.99, split_digits=True, bos_id=1, eos_id=2,
            unk_id=0, pad_id=-1, num_threads=1, minloglevel=2,
            allow_whitespace_only_pieces=True, remove_extra_whitespaces=False,
            hard_vocab_limit=False)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        # llama.cpp's token types: 1 normal, 2 unknown, 3 control, 6 byte.
        types.append(2 if sp.is_unknown(i) else 3 if sp.is_control(i)
                     else 6 if sp.is_byte(i) else 1)
    # The weights: the checkpoint's, written as make_gguf.py does.
    from make_gguf import permute
    c = ck.config
    H, A = c["hidden_size"], c["num_attention_heads"]
    K = c.get("num_key_value_heads") or A
    w = gguf.GGUFWriter(out, "llama")
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(H)
    w.add_block_count(c["num_hidden_layers"])
    w.add_feed_forward_length(c["intermediate_size"])
    w.add_head_count(A)
    w.add_head_count_kv(K)
    w.add_rope_freq_base(float(c.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(c["rms_norm_eps"]))
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    names = {"model.embed_tokens.weight": "token_embd.weight",
             "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"}
    hf = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q",
          "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
          "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm",
          "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
    for layer in range(c["num_hidden_layers"]):
        for k, v in hf.items():
            names[f"model.layers.{layer}.{k}.weight"] = f"blk.{layer}.{v}.weight"
    for name, target in names.items():
        x = np.ascontiguousarray(ck.get(name), dtype=np.float32)
        if target.endswith("attn_q.weight"):
            x = permute(x, A)
        elif target.endswith("attn_k.weight"):
            x = permute(x, K)
        w.add_tensor(target, x)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def check(model_file, tokenizer_json, tool):
    import sentencepiece as spm
    from test_tokenizer_agreement import make_strings
    sp = spm.SentencePieceProcessor(model_file=model_file)
    strings = make_strings(["<s>", "</s>"], 20261130)
    # SentencePiece encodes text; invalid UTF-8 is replaced as Python does.
    texts = [data.decode("utf-8", errors="replace") for _, data in strings]
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "input.txt")
        with open(inp, "w") as f:
            f.write("".join(f"0 {data.hex()}\n" for _, data in strings))
        r = subprocess.run([tool, tokenizer_json, inp], capture_output=True,
                           text=True, timeout=600)
    if r.returncode != 0:
        sys.exit(f"sparsec-tokenize failed: {r.stderr}")
    rows = r.stdout.split("\n")[1:1 + len(strings)]
    mismatches = decoded_wrong = 0
    for (kind, data), text, row in zip(strings, texts, rows):
        ids_text, hexed = row.split("\t")
        got = [int(t) for t in ids_text.split()]
        want = sp.encode(text)
        if got != want:
            mismatches += 1
            if mismatches <= 5:
                print(f"mismatch ({kind}): {text[:40]!r}: sparsec {got[:10]} "
                      f"sentencepiece {want[:10]}")
        elif bytes.fromhex(hexed).decode("utf-8", errors="replace") != sp.decode(want):
            decoded_wrong += 1
            if decoded_wrong <= 5:
                print(f"decode differs ({kind}): {text[:40]!r}")
    print(f"sentencepiece tokenizer: {len(strings)} strings, {mismatches} id "
          f"mismatches, {decoded_wrong} decode differences")
    sys.exit(1 if mismatches or decoded_wrong else 0)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(*sys.argv[2:5])
    else:
        check(*sys.argv[2:5])
