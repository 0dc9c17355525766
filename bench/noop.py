"""No-op run time: `wiregen generate` when nothing changed, on the largest corpus spec.

Every run is a fresh `python -m wiregen generate SPEC -o OUT --package bench_pkg`,
timed from spawn to exit (interpreter start included), and reported as the median of
--runs runs (default 7):

- first run: an empty output directory and no cache: the full work, as after a clone;
- warm no-op: the same command again, nothing changed: the cache answers (the case
  the pre-commit hook hits on almost every commit; the target is <= 0.3 s);
- no-op without cache (--no-cache): the work done when the cache is not trusted,
  for comparison; it writes nothing either, since emit writes only changed files;
- `python -c pass`: the interpreter's own start, the floor for all of the above.

    python bench/noop.py                      # largest spec in <corpus>/openapi
    python bench/noop.py --spec examples/openapi/shop.yaml --runs 9

The corpus is <repo>/../shared/corpus unless WIREGEN_CORPUS says otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 0.3


def corpus_dir() -> Path:
    env = os.environ.get("WIREGEN_CORPUS")
    return Path(env).resolve() if env else (REPO.parent / "shared" / "corpus").resolve()


def largest_spec() -> Path:
    specs = [
        p for p in (corpus_dir() / "openapi").glob("*") if p.suffix in {".json", ".yaml", ".yml"}
    ]
    if not specs:
        raise SystemExit(
            f"no specs in {corpus_dir() / 'openapi'}; pass --spec or set WIREGEN_CORPUS"
        )
    return max(specs, key=lambda p: p.stat().st_size)


def timed(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spec", type=Path, help="the spec (default: the largest in the corpus)")
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (>= 5)")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5 for a meaningful median")
    spec = (args.spec or largest_spec()).resolve()

    env = {
        k: v for k, v in os.environ.items() if k not in {"WIREGEN_NO_CACHE", "WIREGEN_CACHE_DIR"}
    }
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO / "generator"), env.get("PYTHONPATH")])
    )
    generate = [
        sys.executable,
        "-m",
        "wiregen",
        "generate",
        str(spec),
        "-o",
        "out",
        "--package",
        "bench_pkg",
    ]

    with tempfile.TemporaryDirectory(prefix="wiregen-noop-") as temp:
        work = Path(temp)
        first = []
        for _ in range(args.runs):
            shutil.rmtree(work / "out", ignore_errors=True)
            shutil.rmtree(work / ".wiregen_cache", ignore_errors=True)
            first.append(timed(generate, work, env))
        warm = [timed(generate, work, env) for _ in range(args.runs)]
        uncached = [timed([*generate, "--no-cache"], work, env) for _ in range(args.runs)]
        floor = [timed([sys.executable, "-c", "pass"], work, env) for _ in range(args.runs)]
        files = sum(1 for p in (work / "out").rglob("*") if p.is_file())

    size = spec.stat().st_size / 1e6
    print(
        f"spec: {spec.name} ({size:.1f} MB) -> {files} files; median of {args.runs} runs; python {sys.version.split()[0]}"
    )
    rows = [
        ("first run (empty output, no cache)", first),
        ("warm no-op (cached)", warm),
        ("no-op with --no-cache", uncached),
        ("python -c pass", floor),
    ]
    for label, times in rows:
        print(
            f"  {label:<36} {statistics.median(times):7.3f} s   (min {min(times):.3f}, max {max(times):.3f})"
        )
    verdict = "meets" if statistics.median(warm) <= TARGET_SECONDS else "MISSES"
    print(f"warm no-op {verdict} the {TARGET_SECONDS} s target")
    return 0 if verdict == "meets" else 1


if __name__ == "__main__":
    sys.exit(main())
