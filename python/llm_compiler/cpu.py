"""The host CPU's features, as the tests and benches need them."""


def cpu_flags(path="/proc/cpuinfo"):
    """The host's CPU flags (e.g. "avx2", "avx512bw"); empty when unknown."""
    try:
        with open(path) as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# The x86 INT4 kernels (the `int4-kernel` option of llm-cpu-pipeline), the
# fastest first, each with the /proc/cpuinfo flag it needs: the order in
# which llm-run picks one for the host (PairDotTargets.h).
INT4_KERNELS = (("x86-avx512-vnni", "avx512_vnni"),
                ("x86-avx512", "avx512bw"),
                ("x86-avx2", "avx2"))


def int4_kernel(flags=None):
    """The INT4 kernel llm-run picks for a host with `flags` (this one by
    default): the first of INT4_KERNELS it has, else "generic"."""
    flags = cpu_flags() if flags is None else flags
    for kernel, flag in INT4_KERNELS:
        if flag in flags:
            return kernel
    return "generic"
