"""Checks a Chrome trace-event file written by --lpu-to-trace against the
plan's JSON export: every scheduled operation appears on the track of each
unit it occupies, from floor(start / clock) to floor(end / clock) in integer
nanoseconds (displayTimeUnit "ns"); every track and chip is named; no two
events of one track overlap once the times are integers, as Perfetto keeps
them (it drops slices that partially overlap)."""

import collections
import json
import math
import sys


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def main(trace_path, plan_path):
    trace = json.load(open(trace_path))
    plan = json.load(open(plan_path))
    clock = plan["summary"]["clock_mhz"]
    events = trace["traceEvents"]
    spans = [e for e in events if e["ph"] == "X"]
    names = {(e["pid"], e.get("tid")): e["args"]["name"]
             for e in events if e["ph"] == "M"}

    decode = next(s for s in plan["schedules"] if s["name"] == "decode")
    expected = sum(len(v) for op in decode["operations"] for v in op["units"].values())
    if len(spans) != expected:
        fail(f"{len(spans)} events for {expected} unit occupations")

    tracks = collections.defaultdict(list)
    for e in spans:
        if (e["pid"], None) not in names:
            fail(f"chip {e['pid']} has no process name")
        if (e["pid"], e["tid"]) not in names:
            fail(f"track {e['pid']}/{e['tid']} has no thread name")
        if not isinstance(e["ts"], int) or not isinstance(e["dur"], int):
            fail(f"event {e['name']} has a time that is not an integer: {e['ts']}, {e['dur']}")
        start, cycles = e["args"]["start_cycle"], e["args"]["cycles"]
        if e["ts"] != math.floor(start * 1000 / clock) or \
                e["ts"] + e["dur"] != math.floor((start + cycles) * 1000 / clock):
            fail(f"event {e['name']} at {e['ts']} ns for {e['dur']} ns is not cycles "
                 f"{start}..{start + cycles} at {clock} MHz")
        tracks[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    if trace.get("displayTimeUnit") != "ns":
        fail("displayTimeUnit is not ns")
    for key, spans_ in tracks.items():
        spans_.sort()
        for (s0, e0), (s1, _) in zip(spans_, spans_[1:]):
            if s1 < e0:
                fail(f"track {key} overlaps at {s1} ns")
    units = sorted(set(names[k].split()[0] for k in tracks))
    print(f"trace ok: {len(spans)} events on {len(tracks)} tracks "
          f"({', '.join(units)}) of {len({p for p, _ in tracks})} chips")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
