#!/usr/bin/python3
"""Compare a float32 logits .npy written by llm-run with a reference .npy.

    check_npy_logits.py OURS.npy REF.npy [--tol 1e-4] [--top ID] [--top-logit X]

Requires equal shapes, finite values and max|ours - ref| <= tol * max|ref|
over every position.  ``--top ID`` additionally requires that the last
position's largest logit is ``ID`` in both arrays, and ``--top-logit X`` that
the reference's value there is X (to 1e-3), pinning the reference itself.
Prints one line with the error; exits 1 on failure.
"""

import argparse
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ours")
    parser.add_argument("ref")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--top", type=int)
    parser.add_argument("--top-logit", type=float)
    args = parser.parse_args()

    ours, ref = np.load(args.ours), np.load(args.ref)
    problems = []
    if ours.dtype != np.float32 or ours.ndim != 2:
        problems.append(f"{args.ours} holds {ours.dtype}{list(ours.shape)}, expected 2-D float32")
    if ours.shape != ref.shape:
        problems.append(f"shape {list(ours.shape)} but the reference has {list(ref.shape)}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    if not np.all(np.isfinite(ours)):
        print("FAIL: llm-run's logits are not all finite")
        return 1

    err = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
    scale = float(np.abs(ref).max())
    rel = float(err.max()) / scale
    pos, tok = np.unravel_index(int(np.argmax(err)), err.shape)
    line = (f"max|ours - ref| = {err.max():.3e} (relative {rel:.3e}, bound {args.tol:g}) over "
            f"{ours.shape[0]} positions x {ours.shape[1]} ids; worst at position {pos}, id {tok}: "
            f"ours {ours[pos, tok]:.7g}, ref {ref[pos, tok]:.7g}")
    if err.max() > args.tol * scale:
        problems.append(line)
    ours_top, ref_top = int(np.argmax(ours[-1])), int(np.argmax(ref[-1]))
    if args.top is not None and (ours_top != args.top or ref_top != args.top):
        problems.append(f"top id at the last position: ours {ours_top}, reference {ref_top}, "
                        f"expected {args.top}")
    if args.top_logit is not None and abs(float(ref[-1, ref_top]) - args.top_logit) > 1e-3:
        problems.append(f"the reference's top logit is {ref[-1, ref_top]:.6f}, expected "
                        f"{args.top_logit}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: {line}; last position: top id {ours_top}, logit ours {ours[-1, ours_top]:.4f} "
          f"ref {ref[-1, ref_top]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
