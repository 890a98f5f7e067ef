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
