"""Run benchmarks: `python -m bench` (all) or `python -m bench webhooks outbox`.

Each benchmark runs in its own process: they set Django up with different settings
(webhooks serves `bench.settings`) and leave tables and caches behind them."""

import pkgutil
import subprocess
import sys
from pathlib import Path

SKIP = {"harness", "settings", "urls"}


def available():
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in SKIP)


def run_one(name):
    """`python -m bench.<name>` would not call main(); this does, in a fresh interpreter,
    and its return value is the exit status (the chaos harness returns 1 on any loss)."""
    code = f"import sys, bench.{name} as module; sys.exit(module.main())"
    return subprocess.run([sys.executable, "-c", code], check=False).returncode


def main(names):
    failed = []
    for name in names or available():
        print(f"== bench.{name}", flush=True)
        if run_one(name):
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
