import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from llm_compiler.cpu import cpu_flags  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
