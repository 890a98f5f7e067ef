"""Prints an LLVM x86 CPU feature this machine lacks, read from
/proc/cpuinfo (independently of LLVM's own host detection), for tests that
need an artifact compiled for a CPU this one is not."""
import sys

# LLVM feature name -> /proc/cpuinfo flag, newest first.
CANDIDATES = [
    ("avx10.2-512", "avx10_2"),
    ("amx-fp8", "amx_fp8"),
    ("amx-fp16", "amx_fp16"),
    ("amx-tile", "amx_tile"),
    ("avx512fp16", "avx512_fp16"),
    ("avxvnniint16", "avx_vnni_int16"),
    ("avx512vp2intersect", "avx512_vp2intersect"),
    ("avx512bf16", "avx512_bf16"),
    ("avx512f", "avx512f"),
    ("avx2", "avx2"),
]

flags = set()
with open("/proc/cpuinfo") as cpuinfo:
    for line in cpuinfo:
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
for feature, flag in CANDIDATES:
    if flag not in flags:
        print(feature)
        sys.exit(0)
sys.exit("absent_cpu_feature.py: this CPU has every candidate feature; add a newer one")
