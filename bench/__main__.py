"""Run benchmarks: `python -m bench` (all) or `python -m bench webhooks outbox`."""

import importlib
import pkgutil
import sys
from pathlib import Path

SKIP = {"harness", "settings", "urls"}


def available():
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in SKIP)


def main(names):
    for name in names or available():
        print(f"== bench.{name}", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
