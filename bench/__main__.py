"""Run benchmarks: `./dev bench [NAME ...]` runs bench/bench_NAME.py (all when none named).

Each module exposes `main() -> None` and prints its own figures; targets are
printed beside the figures so a reader sees at once whether they hold.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)])
                   if m.name.startswith("bench_"))
    wanted = argv or names
    unknown = [n for n in wanted if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(names)}",
              file=sys.stderr)
        return 2
    for name in wanted:
        print(f"== bench {name}")
        importlib.import_module(f"bench.bench_{name}").main()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
