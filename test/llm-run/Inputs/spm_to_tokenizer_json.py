#!/usr/bin/python3
"""Write the Hugging Face tokenizer.json of a SentencePiece BPE model.

    spm_to_tokenizer_json.py VOCAB.tsv OUT.json

VOCAB.tsv is `spm_export_vocab --model=tokenizer.model` (piece TAB score, in id
order). The result has the layout of LLaMA-2's tokenizer.json as transformers'
LlamaConverter writes it: the vocabulary, merges recovered from the pieces
(every split of a piece into two pieces, ordered by the merged piece's score),
byte fallback, the Prepend/Replace normalizer, the TemplateProcessing BOS and
the Replace/ByteFallback/Fuse/Strip decoder.
"""

import json
import sys


def main():
    vocab_path, out_path = sys.argv[1], sys.argv[2]
    pieces = []
    with open(vocab_path, encoding="utf-8") as f:
        for line in f:
            piece, score = line.rstrip("\n").split("\t")
            pieces.append((piece, float(score)))
    vocab = {piece: i for i, (piece, _) in enumerate(pieces)}

    merges = []
    for merged, score in pieces:
        local = []
        for cut in range(1, len(merged)):
            left, right = merged[:cut], merged[cut:]
            if left in vocab and right in vocab:
                local.append((left, right, score))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)  # stable: ties keep id order

    special = ["<unk>", "<s>", "</s>"]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[t], "content": t, "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": False, "special": True} for t in special],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [vocab["<s>"]], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": "<unk>",
            "continuing_subword_prefix": None, "end_of_word_suffix": None,
            "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{left} {right}" for left, right, _ in merges]},
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
