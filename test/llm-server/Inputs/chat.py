"""A chat completion from llm-server equals llm-run --conversation's reply to
the same message: the same rendering with the model's chat template, the
same prompt tokens, the same greedy reply (whole and streamed).

    chat.py MODEL_DIR LLM_SERVER LLM_RUN_CHAT.jsonl MESSAGE
"""

import http.client
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "bench"))
from serve_load import Server  # noqa: E402

model, binary, turns, message = sys.argv[1:5]
turn = json.loads(open(turns, encoding="utf-8").readline())
expected_text = turn["text"]
server = Server(binary, model, threads=2, parallel=2, context=256, extra=[])
try:
    body = {"messages": [{"role": "user", "content": message}], "max_tokens": 6,
            "temperature": 0}
    status, text = server.request("POST", "/v1/chat/completions", body)
    answer = json.loads(text)
    assert status == 200, text
    reply = answer["choices"][0]["message"]
    print("object:", answer["object"])
    print("role:", reply["role"])
    print("prompt tokens equal llm-run's:",
          answer["usage"]["prompt_tokens"] == len(turn["prompt_ids"]))
    print("reply equals llm-run's:", reply["content"] == expected_text, repr(reply["content"]))
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("POST", "/v1/chat/completions", json.dumps(dict(body, stream=True)),
                       {"Content-Type": "application/json"})
    streamed, objects = "", set()
    for raw in connection.getresponse():
        line = raw.decode().strip()
        if line.startswith("data: {"):
            chunk = json.loads(line[6:])
            objects.add(chunk["object"])
            streamed += chunk["choices"][0]["delta"].get("content", "")
    print("streamed reply equals llm-run's:", streamed == expected_text, sorted(objects))
finally:
    server.stop()
