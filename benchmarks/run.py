"""Run every benchmark module (benchmarks/bench_*.py) and summarise ours against baseline.

Each module defines ``run() -> list[dict]`` with entries ``{"name", "ours_s",
"baseline_s"}``.  The table is printed, and results/bench/summary.json maps each name to
``{"ours_s", "baseline_s", "ratio"}`` with ratio = ours_s / baseline_s.

Usage: python benchmarks/run.py [NAME_SUBSTRING ...]  (default: every module)
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUMMARY = HERE.parent / "results" / "bench" / "summary.json"


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(selected: list[str]) -> None:
    summary = {}
    for path in sorted(HERE.glob("bench_*.py")):
        if selected and not any(word in path.stem for word in selected):
            continue
        print(f"running {path.name} ...", flush=True)
        for entry in load(path).run():
            ours, baseline = float(entry["ours_s"]), float(entry["baseline_s"])
            summary[entry["name"]] = {
                "ours_s": round(ours, 3),
                "baseline_s": round(baseline, 3),
                # three significant digits: a ratio of 1e-10 must not print as 0.0
                "ratio": float(f"{ours / baseline:.3g}") if baseline > 0 else None,
            }
            if entry.get("note"):
                print(f"  {entry['name']}: {entry['note']}")

    width = max([len(name) for name in summary] + [4])
    print(f"\n{os.cpu_count()} CPUs")
    print(f"{'name':<{width}}  {'ours s':>9}  {'baseline s':>10}  {'ratio':>6}")
    for name, row in summary.items():
        ours, baseline, ratio = row["ours_s"], row["baseline_s"], str(row["ratio"])
        print(f"{name:<{width}}  {ours:>9.2f}  {baseline:>10.2f}  {ratio:>6}")

    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    if selected and SUMMARY.exists():  # a partial run updates its entries, keeps the rest
        summary = {**json.loads(SUMMARY.read_text()), **summary}
    SUMMARY.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    print(f"\nwrote {SUMMARY.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
