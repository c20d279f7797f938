#!/usr/bin/env python3
"""Gives a synthetic checkpoint the tokenizer files a Hugging Face model
ships, made with the PyPI `tokenizers` package: tokenizer.json (byte-level
BPE trained on a small English corpus to the model's vocabulary size, with
<s>, </s>, <|im_start|>, <|im_end|> as special tokens 0..3),
tokenizer_config.json (add_bos_token, bos/eos tokens and the ChatML chat
template of SmolLM2-Instruct) and generation_config.json (a list of EOS ids).

    add_tokenizer.py MODEL_DIR
"""
import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

SPECIALS = ["<s>", "</s>", "<|im_start|>", "<|im_end|>"]
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
          "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def main():
    model = sys.argv[1]
    with open(os.path.join(model, "config.json")) as f:
        vocab = json.load(f)["vocab_size"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    corpus = ["Sparse models decode fast because most neurons are zero.",
              "The compiler reads only the rows of the neurons that fire.",
              "What is the capital of France? The capital of France is Paris."] * 20
    tok.train_from_iterator(corpus, trainer)
    tok.save(os.path.join(model, "tokenizer.json"))
    with open(os.path.join(model, "tokenizer_config.json"), "w") as f:
        json.dump({"add_bos_token": True, "bos_token": "<s>",
                   "eos_token": {"content": "<|im_end|>", "special": True},
                   "chat_template": CHATML,
                   "tokenizer_class": "PreTrainedTokenizerFast"}, f, indent=2)
    with open(os.path.join(model, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 0, "eos_token_id": [1, 3]}, f, indent=2)


if __name__ == "__main__":
    main()
