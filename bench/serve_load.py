#!/usr/bin/python3
"""Load test of llm-server: concurrent streamed completions over loopback.

Starts its own server (``build/bin/llm-server``) on a free local port, sends
rounds of N concurrent greedy requests (N = 1, 2, 4, 8 by default), checks
that every response is complete (its finish reason, ``data: [DONE]``, the
number of tokens asked for) and prints the aggregate generated tokens/s of
each round (the median of --rounds), its ratio to one stream, and the
p50/p99 time to first token over all requests.
With ``--check``, the text of each response must equal what ``llm-run``
generates greedily for the same prompt (the model needs a tokenizer).

    /usr/bin/python3 bench/serve_load.py --model bench/out/stories110M-f32 -t 2
    /usr/bin/python3 bench/serve_load.py --model ../shared/models/stories260K \\
        --check --streams 1,4 --tokens 24      # the test suite's short form
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT_PROMPTS = ["Once upon a time", "The little dog", "One day, a girl named Lily",
                "Tom and his friend", "The sun was", "There was a big tree",
                "A cat sat", "Mom said"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """An llm-server process on a free loopback port, stopped on exit."""

    def __init__(self, binary, model, threads, parallel, context, extra):
        self.port = free_port()
        args = [binary, "-m", model, "--port", str(self.port), "--parallel", str(parallel),
                "-c", str(context)] + extra
        if threads:
            args += ["-t", str(threads)]
        # The server's log (stderr) goes to a file: a pipe nobody reads
        # would fill and stall it.
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("llm-server exited: " + self.log_text())
            try:
                status, _ = self.request("GET", "/health")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("llm-server did not start within 300 s")

    def request(self, method, path, body=None, timeout=60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def stream(self, body, timeout=600):
        """A streamed completion: (text, finish reason, usage, seconds to the
        first chunk with text or the end, whether [DONE] came)."""
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        connection.request("POST", "/v1/completions", body=json.dumps(body),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError("HTTP %d: %s" % (response.status, response.read().decode()))
        text, finish, usage, first, done = "", None, None, None, False
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data: "):
                continue
            data = line[len("data: "):]
            if first is None:
                first = time.perf_counter() - start
            if data == "[DONE]":
                done = True
                break
            chunk = json.loads(data)
            if "error" in chunk:
                raise RuntimeError(chunk["error"]["message"])
            # The usage comes in a last chunk without choices.
            for choice in chunk["choices"]:
                text += choice.get("text", "")
                finish = choice.get("finish_reason") or finish
            usage = chunk.get("usage") or usage
        connection.close()
        return text, finish, usage, first, done

    def log_text(self):
        """What the server printed on stderr so far."""
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """Stops the server; returns its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        text = self.log_text()
        self.log.close()
        return text


def llm_run_text(binary, model, prompt, tokens, context, threads):
    args = [binary, "-m", model, "-p", prompt, "-n", str(tokens), "--temp", "0", "--json",
            "-c", str(context)]
    if threads:
        args += ["-t", str(threads)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["text"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--server", default=os.path.join(ROOT, "build/bin/llm-server"))
    parser.add_argument("--llm-run", default=os.path.join(ROOT, "build/bin/llm-run"))
    parser.add_argument("-t", "--threads", type=int, default=0)
    parser.add_argument("--streams", default="1,2,4,8")
    parser.add_argument("--tokens", type=int, default=128, help="tokens per request")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per number of streams (the median is reported)")
    parser.add_argument("--context", type=int, default=256)
    parser.add_argument("--check", action="store_true",
                        help="text prompts; each response must equal llm-run's greedy text")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra llm-server argument (repeatable)")
    args = parser.parse_args()
    streams = [int(n) for n in args.streams.split(",")]
    parallel = max(streams)

    server = Server(args.server, args.model, args.threads, parallel, args.context,
                    args.server_arg)
    failures = []
    try:
        # Warm-up: one request (the first runs cold caches).
        prompt_of = (lambda i: TEXT_PROMPTS[i % len(TEXT_PROMPTS)]) if args.check else \
            (lambda i: [1] + [(37 * i + 11 * k) % 1000 + 3 for k in range(7)])
        server.stream({"prompt": prompt_of(0), "max_tokens": 4, "temperature": 0})
        expected = {}
        if args.check:
            for i in range(parallel):
                expected[i] = llm_run_text(args.llm_run, args.model, prompt_of(i), args.tokens,
                                           args.context, args.threads)
        rows, ttfts = [], []
        base = None
        for n in streams:
            rates = []
            for _ in range(args.rounds):
                results = [None] * n

                def client(i):
                    body = {"prompt": prompt_of(i), "max_tokens": args.tokens, "temperature": 0,
                            "stream": True, "stream_options": {"include_usage": True}}
                    if not args.check:
                        body["ignore_eos"] = True
                    try:
                        results[i] = server.stream(body)
                    except Exception as e:  # noqa: BLE001 - reported below
                        results[i] = e

                threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
                start = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                seconds = time.perf_counter() - start
                generated = 0
                for i, result in enumerate(results):
                    if isinstance(result, Exception):
                        failures.append("%d streams, request %d: %s" % (n, i, result))
                        continue
                    text, finish, usage, first, done = result
                    if not done or finish not in ("stop", "length") or not usage:
                        failures.append("%d streams, request %d: incomplete (done=%s, finish=%s)"
                                        % (n, i, done, finish))
                        continue
                    count = usage["completion_tokens"]
                    if not args.check and count != args.tokens:
                        failures.append("%d streams, request %d: %d tokens, not %d"
                                        % (n, i, count, args.tokens))
                    if args.check and text != expected[i]:
                        failures.append("%d streams, request %d: %r != llm-run's %r"
                                        % (n, i, text, expected[i]))
                    generated += count
                    ttfts.append(first)
                rates.append((generated / seconds, generated, seconds))
            rate, generated, seconds = sorted(rates)[len(rates) // 2]
            base = base or rate
            rows.append((n, generated, seconds, rate, rate / base if base else 0.0))
        print("| concurrent streams | tokens | seconds | aggregate tok/s | vs 1 stream |")
        print("|---|---|---|---|---|")
        for n, generated, seconds, rate, ratio in rows:
            print("| %d | %d | %.2f | %.1f | %.2fx |" % (n, generated, seconds, rate, ratio))
        if ttfts:
            ordered = sorted(ttfts)
            p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
            print("time to first token: p50 %.1f ms, p99 %.1f ms (%d requests)"
                  % (1000 * statistics.median(ordered), 1000 * p99, len(ordered)))
    finally:
        server.stop()
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("all %d responses complete%s" % (sum(streams) * args.rounds,
                                          ", equal to llm-run's" if args.check else ""))


if __name__ == "__main__":
    main()
