#!/usr/bin/python3
"""Print one field of llm-run's --json output.

    json_field.py FILE KEY

Lists of numbers print comma-separated (the format of reference_logits.py
--greedy); anything else prints as compact JSON.  Exits 1 with a message if
FILE is not one JSON object or lacks KEY.
"""

import json
import sys


def main():
    path, key = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        obj = json.loads(text)
    except ValueError as exc:
        sys.exit(f"{path}: not one JSON object ({exc}): {text[:200]!r}")
    if not isinstance(obj, dict) or key not in obj:
        sys.exit(f"{path}: no key {key!r} in {text[:200]!r}")
    value = obj[key]
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        print(",".join(str(v) for v in value))
    else:
        print(json.dumps(value, separators=(",", ":")))


if __name__ == "__main__":
    main()
