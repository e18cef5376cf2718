"""Every benchmark, one after another, each writing its figures to benchmarks/results/.

Speed targets live here, never in the tests: run this on a quiet machine.
Run: make bench   (or .venv/bin/python -m benchmarks.run)
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "benchmarks.scoring",
    "benchmarks.solve",
    "benchmarks.highs_options",
    "benchmarks.engines",
    "benchmarks.load_api",
    "benchmarks.decode_memory",
    "benchmarks.fuzz",
)


def main() -> int:
    failed = 0
    for module in BENCHMARKS:
        print(f"== {module}", flush=True)
        failed += subprocess.run([sys.executable, "-m", module], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
