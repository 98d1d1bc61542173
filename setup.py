"""The wheel build: setuptools, plus the kernels compiled for the building machine.

Everything about the package is in pyproject.toml; this file adds one step to
``build_py``: after the sources are copied to the build directory, a child
process runs ``fastgs compile`` there, so that the wheel carries Numba's
on-disk cache of the common first fits (docs/performance.rst, 'Compile time'
→ 'Compiled at install').  ``FASTGS_PRECOMPILE=0`` skips it (a wheel meant
for other machines: Numba's cache is keyed by the CPU and only loads on the
same one); editable installs skip it, as their in-tree cache fills on use.  A
failed compile leaves a warning and a wheel without the cache, not a failed
install.
"""

import os
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyPrecompiled(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False) or os.environ.get("FASTGS_PRECOMPILE") == "0":
            return
        build_lib = os.path.abspath(self.build_lib)
        env = {k: v for k, v in os.environ.items()
               if k not in ("NUMBA_CACHE_DIR", "FASTGS_DISABLE_CACHE")}  # fmt: skip
        # the isolated build environment reaches its packages through PYTHONPATH
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [build_lib, env.get("PYTHONPATH")]))
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        print("fastgs: compiling the kernels of the common first fits (FASTGS_PRECOMPILE=0 skips)")
        done = subprocess.run([sys.executable, "-m", "fastgs", "compile"], cwd=build_lib, env=env)
        if done.returncode != 0:
            self.warn("fastgs compile failed: the kernels will compile at their first use")


setup(cmdclass={"build_py": BuildPyPrecompiled})
