#!/usr/bin/python3
"""Inspect llm-run --conversation --json output (one JSON object per turn).

    chat_turns.py OUT.jsonl check TOKENIZER_DIR   turn 1's prompt ids must be Hugging Face's
                                                 for expected.json's first chat; later turns
                                                 must reuse the cache and prefill only the rest
    chat_turns.py OUT.jsonl prompt-ids N          turn N's prompt ids, comma-separated
    chat_turns.py OUT.jsonl generated-ids N       turn N's generated ids, comma-separated
"""

import json
import sys


def main():
    turns = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    command = sys.argv[2]
    if command == "check":
        expected = json.load(open(f"{sys.argv[3]}/expected.json", encoding="utf-8"))
        want = expected["chat"][0]["ids"]
        if turns[0]["prompt_ids"] != want:
            sys.exit(f"turn 1 prompt ids {turns[0]['prompt_ids']} != reference {want}")
        print("turn 1 prompt ids match the reference chat rendering")
        for before, turn in zip(turns, turns[1:]):
            history = before["prompt_ids"] + before["generated_ids"]
            reused = turn["reused_tokens"]
            if reused == 0 or turn["prompt_ids"][:reused] != history[:reused]:
                sys.exit(f"turn {turn['turn']} reused {reused} tokens that are not the history")
            if turn["prefilled_tokens"] != len(turn["prompt_ids"]) - reused:
                sys.exit(f"turn {turn['turn']} prefilled more than the new tokens")
            print(f"turn {turn['turn']} prefills only its new tokens")
    elif command in ("prompt-ids", "generated-ids"):
        key = command.replace("-", "_")
        print(",".join(str(i) for i in turns[int(sys.argv[3]) - 1][key]))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
