"""Compile models with the project's tools (llm-translate, llm-opt).

    from llm_compiler.compiler import import_model, optimize

    graph = import_model("/path/to/checkpoint", "model.mlir")        # with @decode_batch
    int4 = optimize(graph, "model-int4.mlir", ["--llm-quantize-int4=group-size=32"])

The tools are found through ``LLM_TOOLS_DIR``, the build tree the package
was installed from, the build tree beside this source tree, or ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["ToolError", "tool_path", "import_model", "optimize"]

_HERE = Path(__file__).resolve().parent


class ToolError(RuntimeError):
    """A tool failed; the message holds its diagnostics."""


def tool_path(name: str) -> Path:
    """The path of tool ``name`` (``llm-translate``, ``llm-opt``, ...)."""
    directories = []
    if os.environ.get("LLM_TOOLS_DIR"):
        directories.append(Path(os.environ["LLM_TOOLS_DIR"]))
    try:
        from . import _install_paths  # written by setup.py at install time
        directories.append(Path(_install_paths.TOOLS_DIR))
    except ImportError:
        pass
    directories.append(_HERE.parent.parent / "build" / "bin")
    for directory in directories:
        if (directory / name).is_file():
            return directory / name
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolError("cannot find %s (looked in %s and PATH); build the project or set "
                    "LLM_TOOLS_DIR" % (name, ", ".join(str(d) for d in directories)))


def _run(arguments: Sequence[str]) -> None:
    result = subprocess.run([str(a) for a in arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise ToolError("%s failed:\n%s" % (Path(arguments[0]).name, result.stderr.strip()))


def import_model(model: str, output: str, *, batched_decode: bool = True,
                 weight_dtype: Optional[str] = None) -> str:
    """Imports the config of ``model`` (a checkpoint directory or its
    config.json) into the llm dialect at ``output``; with ``batched_decode``
    the module also has ``@decode_batch`` (for :class:`runtime.Model`'s
    ``decode_batch`` and llm-server). Returns ``output``."""
    arguments = [tool_path("llm-translate")]
    if batched_decode:
        arguments.append("--batched-decode")
    if weight_dtype:
        arguments.append("--weight-dtype=" + weight_dtype)
    arguments += ["--import-llama-config", str(model), "-o", str(output)]
    _run(arguments)
    return output


def optimize(module: str, output: str, passes: Sequence[str]) -> str:
    """Runs llm-opt with ``passes`` (its flags, e.g.
    ``["--llm-fuse-projections", "--llm-quantize-int4=group-size=32"]``) on
    ``module`` and writes ``output``. Returns ``output``."""
    _run([tool_path("llm-opt"), str(module), *passes, "-o", str(output)])
    return output
