import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import re  # noqa: E402

from llm_compiler.cpu import INT4_KERNELS, cpu_flags, int4_kernel  # noqa: E402


class CpuFlagsTest(unittest.TestCase):
    def test_reads_the_flags_line(self):
        with tempfile.NamedTemporaryFile("w", suffix=".cpuinfo", delete=False) as f:
            f.write("processor\t: 0\nmodel name\t: Test CPU\n"
                    "flags\t\t: fpu sse2 avx2 avx512f avx512bw\n\nprocessor\t: 1\n")
        try:
            self.assertEqual(cpu_flags(f.name), {"fpu", "sse2", "avx2", "avx512f", "avx512bw"})
        finally:
            os.unlink(f.name)

    def test_missing_file_has_no_flags(self):
        self.assertEqual(cpu_flags("/nonexistent/cpuinfo"), set())


class Int4KernelTest(unittest.TestCase):
    def test_picks_the_fastest_the_host_has(self):
        self.assertEqual(int4_kernel({"avx2", "avx512bw", "avx512_vnni"}), "x86-avx512-vnni")
        self.assertEqual(int4_kernel({"avx2", "avx512bw"}), "x86-avx512")
        self.assertEqual(int4_kernel({"sse2", "avx2"}), "x86-avx2")
        self.assertEqual(int4_kernel({"sse2"}), "generic")

    def test_same_order_as_llm_run(self):
        # llm-run takes the first target of kPairDotTargets the host has.
        header = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "include", "llm", "Dialect", "LLM", "IR", "PairDotTargets.h")
        with open(header) as f:
            table = f.read().split("kPairDotTargets[] = {", 1)[1].split("};", 1)[0]
        kernels = re.findall(r'\{"([^"]+)"', table)
        self.assertEqual(kernels, [kernel for kernel, _ in INT4_KERNELS])


if __name__ == "__main__":
    unittest.main()
