# -*- Python -*-
"""lit configuration of the llm project's tests."""

import os
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "LLM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".json"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.llm_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# Python helpers need Debian's interpreter, which has numpy.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%llm_src", config.llm_src_root))
config.substitutions.append(("%llm_obj_root", config.llm_obj_root))

# The real model shared with the team lives beside the checkout.
shared_models = os.path.join(os.path.dirname(config.llm_src_root), "shared", "models")
config.substitutions.append(("%shared_models", shared_models))
if os.path.isfile(os.path.join(shared_models, "llama3-tokenizer", "tokenizer.json")):
    config.available_features.add("llama3-tokenizer")
if os.path.isdir(os.path.join(shared_models, "stories260K")):
    config.available_features.add("stories260k")
else:
    lit_config.note(
        "../shared/models/stories260K not found: tests that need it are unsupported"
    )

# A shared library that is not an llm-compile artifact (LLVM's OpenMP
# runtime), for the tests that check llm-run refuses one.
config.substitutions.append(
    ("%llm_libomp", os.path.join(config.llvm_lib_dir, "libomp.so"))
)
import shutil
# Tensor-parallel tests start their own ranks with Open MPI's mpirun.
if shutil.which("mpirun"):
    config.available_features.add("mpi")
    config.environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
import platform
if platform.machine() == "x86_64":
    config.available_features.add("x86_64")

tool_dirs = [config.llm_tools_dir, config.llvm_tools_dir]
tools = ["llm-opt", "llm-translate", "llm-run", "llm-compile", "LLMRuntimeTests", "LLMLPUTargetTests"]
llvm_config.add_tool_substitutions(
    [ToolSubst(t, unresolved="ignore") for t in tools], tool_dirs
)

# Modules compiled with --llm-cpu-pipeline=int4-kernel=x86-avx512 (or
# x86-avx2, x86-avx512-vnni) run only where the CPU has AVX-512BW (or AVX2,
# AVX512-VNNI: /proc/cpuinfo's avx512_vnni).
sys.path.insert(0, os.path.join(config.llm_src_root, "python"))
from llm_compiler.cpu import cpu_flags  # noqa: E402

flags = cpu_flags()
for feature in ("avx512bw", "avx2"):
    if feature in flags:
        config.available_features.add(feature)
if "avx512_vnni" in flags:
    config.available_features.add("avx512vnni")
