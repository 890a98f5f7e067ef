"""Installs llm_compiler with the runtime library it binds.

The package needs the project built first (``./build.sh``): the build step
copies ``libllm.so`` from the build tree (``LLM_BUILD_DIR``, default
``../build`` beside this directory) into the package and records where the
tools (llm-translate, llm-opt) are. Install without downloads:

    python3 -m venv --system-site-packages venv
    venv/bin/pip install --no-build-isolation ./python
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        build_dir = Path(os.environ.get("LLM_BUILD_DIR", HERE.parent / "build")).resolve()
        library = build_dir / "lib" / "libllm.so"
        if not library.is_file():
            raise SystemExit("setup.py: %s does not exist: build the project first "
                             "(./build.sh) or set LLM_BUILD_DIR" % library)
        package = Path(self.build_lib) / "llm_compiler"
        (package / "lib").mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, package / "lib" / "libllm.so")
        (package / "_install_paths.py").write_text(
            '"""Written by setup.py: where the tools were built."""\n'
            "TOOLS_DIR = %r\n" % str(build_dir / "bin"))


setup(cmdclass={"build_py": BuildWithLibrary})
