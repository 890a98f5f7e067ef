#!/usr/bin/python3
"""Write a config.json with one field replaced, for the importer's error tests.

    write_config.py OUT FIELD VALUE [FIELD VALUE ...]
        VALUE is JSON, or deep:N for a list nested N levels deep
"""

import json
import sys


def main():
    out, pairs = sys.argv[1], sys.argv[2:]
    config = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
              "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 32,
              "max_position_embeddings": 64}
    deep = ""
    for field, value in zip(pairs[::2], pairs[1::2]):
        if value.startswith("deep:"):
            depth = int(value[5:])
            config.pop(field, None)
            deep += f', "{field}": ' + "[" * depth + "]" * depth
        else:
            config[field] = json.loads(value)
    text = json.dumps(config)[:-1] + deep + "}"
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
