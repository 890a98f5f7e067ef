"""Hostile and ordinary requests against a running llm-server: every bad
request gets a 4xx with an OpenAI-style error naming the problem, a client
that disconnects mid-stream frees its slot, and the server keeps serving.

    requests.py MODEL_DIR LLM_SERVER
"""

import http.client
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "bench"))
from serve_load import Server  # noqa: E402

model, binary = sys.argv[1], sys.argv[2]
# One slot: a request that kept its slot would block every later one.
server = Server(binary, model, threads=2, parallel=1, context=64,
                extra=["--max-body-size", "4096"])
failures = []


def check(name, status, body, want_status, want_message):
    if status != want_status:
        failures.append("%s: HTTP %d, expected %d: %s" % (name, status, want_status, body))
        return
    if want_message is None:
        return
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError):
        failures.append("%s: not an OpenAI-style error: %s" % (name, body))
        return
    if want_message not in error.get("message", "") or "type" not in error:
        failures.append("%s: error %r lacks %r" % (name, error, want_message))
    else:
        print("%s: %d %s" % (name, status, error["message"]))


try:
    post = lambda path, body: server.request("POST", path, body)  # noqa: E731
    raw = lambda path, text: raw_post(path, text)  # noqa: E731

    def raw_post(path, text):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("POST", path, body=text, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        result = response.status, response.read().decode()
        connection.close()
        return result

    check("malformed JSON", *raw("/v1/completions", "{\"prompt\": [1, 2"), 400,
          "not valid JSON")
    check("not an object", *raw("/v1/completions", "[1, 2]"), 400, "must be a JSON object")
    check("no prompt", *post("/v1/completions", {"max_tokens": 3}), 400, "'prompt' is required")
    check("prompt of the wrong type", *post("/v1/completions", {"prompt": 5}), 400,
          "'prompt' must be")
    check("max_tokens of the wrong type",
          *post("/v1/completions", {"prompt": [1, 2], "max_tokens": "many"}), 400,
          "'max_tokens' must be an integer")
    check("temperature out of range",
          *post("/v1/completions", {"prompt": [1, 2], "temperature": 7}), 400,
          "'temperature' must be in [0, 2]")
    check("stop of the wrong type", *post("/v1/completions", {"prompt": [1], "stop": 3}), 400,
          "'stop' must be a string")
    check("n > 1", *post("/v1/completions", {"prompt": [1], "n": 2}), 400, "'n' must be 1")
    check("token outside the vocabulary",
          *post("/v1/completions", {"prompt": [1, 10 ** 6]}), 400, "outside the vocabulary")
    check("prompt longer than the context",
          *post("/v1/completions", {"prompt": [1] * 65, "max_tokens": 0}), 400,
          "the context holds 64")
    check("too many tokens requested",
          *post("/v1/completions", {"prompt": [1, 2], "max_tokens": 63}), 400,
          "exceeds the context size 64")
    check("body over the size limit",
          *raw("/v1/completions", json.dumps({"prompt": "x" * 8000})), 413, "too large")
    check("chat without a template",
          *post("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}), 400,
          "no chat template")
    check("chat without messages", *post("/v1/chat/completions", {"messages": []}), 400,
          "'messages' must be a non-empty array")
    check("unknown endpoint", *server.request("GET", "/v2/nothing"), 404, "no such endpoint")

    # A client that disconnects after its first chunk: its slot (the only
    # one) must come free for the next request.
    sock = socket.create_connection(("127.0.0.1", server.port))
    body = json.dumps({"prompt": [1, 2, 3], "max_tokens": 60, "stream": True,
                       "ignore_eos": True, "temperature": 0})
    sock.sendall(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: %d\r\n\r\n%s" % (len(body), body)).encode())
    sock.recv(256)
    sock.close()
    start = time.time()
    status, text = post("/v1/completions", {"prompt": [1, 2, 3], "max_tokens": 4,
                                            "temperature": 0, "ignore_eos": True})
    check("after a disconnect", status, text, 200, None)
    if status == 200:
        answer = json.loads(text)
        if answer["usage"]["completion_tokens"] != 4 or answer["choices"][0]["finish_reason"] != "length":
            failures.append("after a disconnect: %s" % text)
        print("after a disconnect: served in %.2f s" % (time.time() - start))
    status, text = server.request("GET", "/health")
    check("health", status, text, 200, None)
    status, text = server.request("GET", "/v1/models")
    check("models", status, text, 200, None)
    if status == 200 and json.loads(text)["data"][0]["object"] != "model":
        failures.append("models: %s" % text)
finally:
    log = server.stop()
if ": 3 prompt + " not in log or "cancelled (its client went away" not in log:
    failures.append("the disconnected stream was not cancelled; the server's log:\n" + log)
else:
    print("the disconnected stream was cancelled")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("all requests answered as expected")
