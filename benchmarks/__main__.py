"""Run the simdesk benchmarks: ``python -m benchmarks [--json] [--list] [NAME ...]``.

See the package docstring (``benchmarks/__init__.py``) for what a benchmark module provides.
Exit status: 0 on success, 2 for an unknown benchmark name (the available ones are listed on
stderr), 1 if a benchmark raised.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import pkgutil
import sys
import time
import traceback
from types import ModuleType

import benchmarks


def available() -> list[str]:
    """Benchmark names: the package's modules, found without importing them."""
    return sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_"))


def load(name: str) -> ModuleType:
    module = importlib.import_module(f"benchmarks.{name}")
    if not callable(getattr(module, "run", None)):
        raise TypeError(f"benchmarks.{name} has no run() function")
    return module


def describe(module: ModuleType) -> str:
    return (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""


def unit(key: str) -> str:
    if key.endswith("_per_s"):
        return "/s"
    if "ratio" in key:
        return "×"
    for suffix, label in (("_ms", "ms"), ("_mb", "MB"), ("_s", "s")):
        if key.endswith(suffix):
            return label
    return ""


def fmt(value: float, key: str) -> str:
    if "ratio" in key:
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table(results: dict[str, float], seconds: dict[str, float], descriptions: dict[str, str]) -> str:
    lines = []
    width = max((len(k) for k in results), default=10)
    for name, took in seconds.items():
        lines.append(f"{name} — {descriptions.get(name, '')} ({took:.1f} s)")
        for key, value in results.items():
            if key.startswith(name + "."):
                lines.append(f"  {key:<{width}}  {fmt(value, key):>14} {unit(key)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--json", action="store_true", help="print one flat JSON object on stdout, nothing else")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    names = available()
    unknown = [n for n in args.names if n not in names]
    if unknown:
        print(
            f"unknown benchmark{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; "
            f"available: {', '.join(names) or '(none)'}",
            file=sys.stderr,
        )
        return 2
    selected = args.names or names
    if args.list:
        for name in selected:
            print(f"{name:<12} {describe(load(name))}")
        return 0

    results: dict[str, float] = {}
    seconds: dict[str, float] = {}
    descriptions: dict[str, str] = {}
    real_stdout = sys.stdout
    # in --json mode nothing but the JSON object may reach stdout
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        for name in selected:
            print(f"running {name} …", file=sys.stderr, flush=True)
            started = time.perf_counter()
            try:
                module = load(name)
                figures = module.run()
            except Exception:
                traceback.print_exc()
                print(f"benchmark {name} failed", file=sys.stderr)
                return 1
            seconds[name] = time.perf_counter() - started
            descriptions[name] = describe(module)
            for key, value in figures.items():
                results[f"{name}.{key}"] = float(value)
    if args.json:
        real_stdout.write(json.dumps(results, sort_keys=True) + "\n")
    else:
        print(table(results, seconds, descriptions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
