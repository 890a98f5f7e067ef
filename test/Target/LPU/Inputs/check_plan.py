"""Independent checks of an exported LPU plan (--lpu-to-json output).

Re-derives from the raw placements and operations what the summary claims
and what the verifier promises, without the compiler's code:
  - no functional unit of a chip runs two operations at once;
  - every input is produced before its consumer starts, on the consumer's
    chip (a transfer's result is on its destination chip); a streamed
    transfer of a matmul's result starts no earlier than the first results
    leave the array and ends no earlier than the last are ready;
  - no SRAM slice holds more than its capacity (resident tensors and
    instructions together);
  - the summary's latencies are the schedules' last cycle / clock plus the
    host's round trip, and the tokens/s follow from them;
  - the analytic lower bound is the sum of its terms, no schedule beats it,
    and (with --max-bound-ratio R) the decode schedule is within R times it.
Prints one line per check and exits non-zero on the first failure.
"""

import collections
import json
import sys


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def main(path, max_ratio=None):
    plan = json.load(open(path))
    summary, chip = plan["summary"], plan["chip"]
    clock = summary["clock_mhz"]
    host = summary.get("host_round_trip_us", 0.0)

    used = collections.Counter()
    for p in plan["placements"]:
        for s in range(p["first_slice"], p["first_slice"] + p["num_slices"]):
            used[(p["chip"], s)] += p["bytes_per_slice"]
        elements = 1
        for size in p["sizes"]:
            elements *= size
        if p["num_slices"] * p["bytes_per_slice"] < (elements * p["bits"] + 7) // 8:
            fail(f"placement {p['id']} reserves too little")
    for ins in plan.get("instructions", []):
        for s in range(ins["first_slice"], ins["first_slice"] + ins["num_slices"]):
            used[(ins["chip"], s)] += ins["bytes_per_slice"]
        if ins["num_slices"] * ins["bytes_per_slice"] < ins["bytes"]:
            fail(f"the instructions of chip {ins['chip']} reserve too little")
    worst = max(used.values())
    if worst > chip["slice_bytes"]:
        fail(f"a slice holds {worst} bytes")
    print(f"sram ok: fullest slice {worst} of {chip['slice_bytes']} bytes")

    for schedule in plan["schedules"]:
        ops = schedule["operations"]
        busy = collections.defaultdict(list)
        end_of = {}
        home = {}
        last = 0
        first_of = {}
        for op in ops:
            start, end = op["start"], op["start"] + op["duration"]
            for i in op["inputs"]:
                if op.get("streamed"):
                    # Sends a matmul's vectors as they leave the array.
                    if first_of[i] is None:
                        fail(f"{schedule['name']} op {op['id']} streams op {i}, "
                             f"which is not a matmul")
                    if first_of[i] > start or end_of[i] > end:
                        fail(f"{schedule['name']} op {op['id']} streams [{start},{end}) "
                             f"outside op {i}'s results [{first_of[i]},{end_of[i]})")
                elif end_of[i] > start:
                    fail(f"{schedule['name']} op {op['id']} starts at {start} "
                         f"before input {i} ends at {end_of[i]}")
                if home[i] != op["chip"]:
                    fail(f"{schedule['name']} op {op['id']} on chip {op['chip']} "
                         f"reads op {i}'s result on chip {home[i]}")
            for unit, indices in op["units"].items():
                for index in indices:
                    busy[(op["chip"], unit, index)].append((start, end))
            # A transfer's result arrives `latency` cycles (its hops) after
            # it releases its link.
            end_of[op["id"]] = end + op.get("latency", 0)
            # A matmul's first results leave the array its latency after it
            # starts.
            first_of[op["id"]] = (start + op.get("latency", 0)
                                  if op["op"] == "matmul" else None)
            home[op["id"]] = op.get("to", op["chip"])
            last = max(last, end_of[op["id"]])
        for key, spans in busy.items():
            spans.sort()
            for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
                if s1 < e0:
                    fail(f"{schedule['name']}: unit {key} runs [{s0},{e0}) and [{s1},{e1})")
        if last != schedule["makespan_cycles"]:
            fail(f"{schedule['name']}: makespan {schedule['makespan_cycles']} != {last}")
        latency = summary[f"{schedule['name']}_latency_us"]
        expected = last / clock + host
        if abs(latency - expected) > 1e-6 * max(1.0, latency):
            fail(f"{schedule['name']}: latency {latency} != {expected} "
                 f"(its last cycle / clock + the host round trip)")
        print(f"{schedule['name']} ok: {len(ops)} operations, {last} cycles, "
              f"{len(busy)} units, no overlap, all inputs on time")

    tps = summary["decode_tokens_per_s"]
    if abs(tps - 1e6 / summary["decode_latency_us"]) > 1e-6 * tps:
        fail("decode tokens/s is not 1 / latency")
    print("summary ok")

    # The analytic lower bound: the sum of its terms, and no more than the
    # schedule achieves.
    bounds = summary.get("bounds")
    if bounds is None:
        fail("no decode lower bound in the summary")
    terms = ["weights", "phases", "attention", "collectives", "handoffs"]
    total = sum(bounds[f"decode_{t}_us"] for t in terms)
    if abs(total - bounds["decode_total_us"]) > 1e-6 * max(total, 1):
        fail(f"the bound's terms sum to {total}, not {bounds['decode_total_us']}")
    # The bound is of the chips' schedule (the host's round trip aside).
    latency = summary["decode_latency_us"] - host
    if bounds["decode_total_us"] > latency * (1 + 1e-9) or total <= 0:
        fail(f"the decode schedule ({latency} us) beats its lower bound "
             f"({bounds['decode_total_us']} us)")
    ratio = latency / bounds["decode_total_us"]
    if abs(ratio - bounds["decode_schedule_to_bound"]) > 1e-6 * ratio:
        fail("decode_schedule_to_bound is not the latency over the bound")
    if max_ratio is not None and ratio > max_ratio:
        fail(f"the decode schedule is {ratio:.3f}x its lower bound, more than "
             f"the {max_ratio}x allowed")
    print(f"bound ok: the decode schedule is {ratio:.2f}x its lower bound")

    # Pipelined users: recomputed from the decode schedule's operations.
    decode = next(s for s in plan["schedules"] if s["name"] == "decode")
    tp = max(summary["tensor_parallel"], 1)
    spans = {}
    for op in decode["operations"]:
        stage = op["chip"] // tp
        lo, hi = spans.get(stage, (op["start"], op["start"] + op["duration"]))
        spans[stage] = (min(lo, op["start"]), max(hi, op["start"] + op["duration"]))
    longest = max(hi - lo for lo, hi in spans.values())
    piped = summary["pipelined"]
    makespan = decode["makespan_cycles"]
    if piped["stages"] != len(spans):
        fail(f"pipelined: {piped['stages']} stages, the schedule uses {len(spans)}")
    if abs(piped["max_stage_span_us"] - longest / clock) > 1e-6 * longest / clock:
        fail(f"pipelined: longest stage span {piped['max_stage_span_us']} us, not {longest / clock}")
    if piped["pipeline_users"] != -(-makespan // longest):
        fail("pipelined: pipeline users is not ceil(makespan / longest span)")
    free = summary["sram_bytes"] * (1 - summary["sram_used_fraction"])
    memory_users = 1 + int(round(free)) // summary["kv_cache_bytes"]
    if abs(piped["memory_users"] - memory_users) > 1:
        fail(f"pipelined: {piped['memory_users']} users' caches fit, not {memory_users}")
    users = min(piped["pipeline_users"], piped["memory_users"])
    if piped["users_in_flight"] != users:
        fail("pipelined: users in flight is not the fewer of the two limits")
    expected = min(clock * 1e6 / longest, users * 1e6 / summary["decode_latency_us"])
    if abs(piped["system_tokens_per_s"] - expected) > 1e-6 * expected:
        fail("pipelined: system tokens/s is not min(1 / longest span, users / latency)")
    print(f"pipelined ok: {piped['users_in_flight']} users in flight, "
          f"{piped['system_tokens_per_s']:.0f} tokens/s per system")


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="Checks an exported LPU plan.")
    parser.add_argument("plan")
    parser.add_argument("--max-bound-ratio", type=float, default=None,
                        help="fail when the decode schedule is more than this "
                             "many times its analytic lower bound")
    args = parser.parse_args()
    main(args.plan, args.max_bound_ratio)
