#!/usr/bin/python3
"""Check llm-run --json output of a byte-level BPE (tokenizer.json) model.

    check_hf_tokens.py OUT.json TOKENIZER_DIR PROMPT

- prompt_ids must be BOS followed by the ids Hugging Face's reference gave for
  PROMPT (TOKENIZER_DIR/expected.json);
- text must be the generated ids decoded independently: each id's vocabulary
  entry mapped back through GPT-2's byte alphabet, then UTF-8 (with U+FFFD
  for invalid bytes), stopping before an end-of-sequence id.
"""

import json
import sys


def byte_alphabet():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + \
        list(range(0xAE, 0x100))
    codes = {}
    extra = 0
    for b in range(256):
        if b in printable:
            codes[chr(b)] = b
        else:
            codes[chr(256 + extra)] = b
            extra += 1
    return codes


def main():
    out_path, tok_dir, prompt = sys.argv[1], sys.argv[2], sys.argv[3]
    out = json.load(open(out_path, encoding="utf-8"))
    expected = json.load(open(f"{tok_dir}/expected.json", encoding="utf-8"))
    tokenizer = json.load(open(f"{tok_dir}/tokenizer.json", encoding="utf-8"))
    case = next(c for c in expected["encode"] if c["text"] == prompt)
    want = [expected["bos_id"]] + case["ids"]
    if out["prompt_ids"] != want:
        sys.exit(f"prompt ids {out['prompt_ids']} != reference {want}")
    print("prompt ids match the reference")

    pieces = {i: p for p, i in tokenizer["model"]["vocab"].items()}
    special = {t["id"]: t["content"] for t in tokenizer["added_tokens"]}
    alphabet = byte_alphabet()
    data = bytearray()
    for i in out["generated_ids"]:
        if i in special:
            break  # an end-of-sequence id ends the text
        data += bytes(alphabet[c] for c in pieces[i])
    text = data.decode("utf-8", errors="replace")
    if out["text"] != text:
        sys.exit(f"text {out['text']!r} != decoded ids {text!r}")
    print("text matches the generated ids")


if __name__ == "__main__":
    main()
