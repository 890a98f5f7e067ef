"""Clients that give up: a non-streamed completion and a stream whose
client closes the connection before any text arrives both free their slot
(the server has one), and the next request is served at once.

    disconnect.py MODEL_DIR LLM_SERVER

MODEL_DIR should decode slowly enough (a few hundred tokens per second)
that a request for nearly the whole context is still running when its
client leaves.
"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "bench"))
from serve_load import Server  # noqa: E402

model, binary = sys.argv[1], sys.argv[2]
CONTEXT = 1024
server = Server(binary, model, threads=1, parallel=1, context=CONTEXT, extra=[])
failures = []


def leave_after(body, seconds):
    """Sends a completion request and closes the connection `seconds` later,
    without reading the answer."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    text = json.dumps(body)
    sock.sendall(("POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(text), text)).encode())
    time.sleep(seconds)
    sock.close()


def next_request(name):
    """The next request must be served at once: the slot is free."""
    start = time.time()
    status, text = server.request("POST", "/v1/completions",
                                  {"prompt": [1, 2, 3], "max_tokens": 2, "temperature": 0,
                                   "ignore_eos": True}, timeout=120)
    seconds = time.time() - start
    if status != 200 or json.loads(text)["usage"]["completion_tokens"] != 2:
        failures.append("%s: HTTP %d %s" % (name, status, text))
    print("%s: the next request served in %.2f s" % (name, seconds))
    return seconds


try:
    # How long the whole request would take, to show that it was cut short.
    start = time.time()
    status, text = server.request("POST", "/v1/completions",
                                  {"prompt": [1, 2], "max_tokens": 200, "temperature": 0,
                                   "ignore_eos": True}, timeout=300)
    per_token = (time.time() - start) / 200
    full = per_token * (CONTEXT - 3)
    print("a whole request would take %.1f s" % full)
    if full < 3:
        failures.append("the model decodes too fast (%.1f s for the context) to show "
                        "a disconnect" % full)
    body = {"prompt": [1, 2, 3], "max_tokens": CONTEXT - 3, "temperature": 0,
            "ignore_eos": True}
    for name, stream in (("non-streamed", False), ("streamed", True)):
        leave_after(dict(body, stream=stream), 0.5)
        if next_request(name) > full / 2:
            failures.append("%s: the slot was not freed when its client left" % name)
finally:
    log = server.stop()

cancelled = log.count("cancelled (its client went away")
if cancelled != 2:
    failures.append("%d of 2 requests were cancelled; the server's log:\n%s" % (cancelled, log))
else:
    print("both requests were cancelled")
if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("every slot came back")
