"""`wiregen diff` speed and memory, side by side with `buf breaking`.

Cases (targets from issue 6):

- openapi: the largest OpenAPI spec of the corpus against a copy with a property
  removed, an enum value removed and a parameter made required (target <= 2 s).
  There is no OpenAPI peer installable here (oasdiff ships neither on PyPI nor on
  npm); the reference row is openapi-spec-validator validating both files, the
  least any tool that reads them must do.
- proto-year: googleapis at 2025-07-31 against a year later, two directories of
  ~170 .proto files (target <= 1.3 s and <= 250 MB), next to `buf breaking` in its
  WIRE_JSON category on the same pair.

Every run is a fresh process timed from spawn to exit (interpreter start included);
commands alternate, and the report gives medians. Memory is measured in three
separate runs (sampling /proc costs CPU the timed runs must not lose) as the peak, over the
run, of the memory of the process and all its descendants, sampled from /proc
every 5 ms, three ways: resident sets summed (wiregen diff forks one child to
compile the old revision, and this counts the pages they share twice: it
overstates, never understates); proportional set sizes summed (shared pages split
between the processes sharing them: the fair total); the largest single process.

    python bench/diff_bench.py              # both cases, 5 runs each
    python bench/diff_bench.py --runs 9 --case proto-year

The corpus is <repo>/../shared/corpus unless WIREGEN_CORPUS says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    env = os.environ.get("WIREGEN_CORPUS")
    return Path(env).resolve() if env else (REPO.parent / "shared" / "corpus").resolve()


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_tree_mb: float
    peak_pss_mb: float
    peak_process_mb: float
    exit_code: int


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (a forked child's) split between sharers."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as children:
                stack.extend(int(c) for c in children.read().split())
        except OSError:
            continue
    return found


def run(command: Sequence[str], env: dict[str, str], cwd: Path, *, sample_memory: bool) -> Sample:
    """One run. Memory is sampled only when asked: reading /proc every 5 ms costs CPU
    that a 2-core machine takes from the run, so timed runs and sampled runs are apart."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks = {"tree": 0, "pss": 0, "process": 0}

    def watch() -> None:
        while process.poll() is None:
            pids = _descendants(process.pid)
            sizes = [_rss_kb(pid) for pid in pids]
            peaks["tree"] = max(peaks["tree"], sum(sizes))
            peaks["pss"] = max(peaks["pss"], sum(_pss_kb(pid) for pid in pids))
            peaks["process"] = max(peaks["process"], max(sizes, default=0))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    if sample_memory:
        watcher.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    if sample_memory:
        watcher.join()
    if process.returncode not in (0, 1, 100):  # 1 / 100: changes found, the expected outcome
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr.decode()[-2000:]}")
    return Sample(elapsed, peaks["tree"] / 1024, peaks["pss"] / 1024, peaks["process"] / 1024, process.returncode)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure running, not compiling
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "generator"), env.get("PYTHONPATH", "")]))
    return env


def _largest_openapi() -> Path:
    specs = [p for p in (corpus_dir() / "openapi").glob("*.json")]
    return max(specs, key=lambda p: p.stat().st_size)


def _edited_openapi(spec: Path, out: Path) -> Path:
    """The spec with a breaking release's edits: a property, an enum value, a parameter."""
    data = json.loads(spec.read_text(encoding="utf-8"))
    schemas = data["components"]["schemas"]
    removed_property = enum_removed = False
    for schema in schemas.values():
        properties = schema.get("properties", {})
        if not removed_property and len(properties) > 2:
            properties.pop(sorted(properties)[0])
            removed_property = True
        for prop in properties.values():
            if not enum_removed and len(prop.get("enum", ())) > 2:
                prop["enum"] = prop["enum"][1:]
                enum_removed = True
    for item in data["paths"].values():
        for operation in item.values():
            params = operation.get("parameters", []) if isinstance(operation, dict) else []
            optional = [p for p in params if isinstance(p, dict) and p.get("in") == "query" and not p.get("required")]
            if optional:
                optional[0]["required"] = True
                break
        else:
            continue
        break
    target = out / f"edited-{spec.name}"
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


@dataclass(frozen=True)
class Case:
    name: str
    commands: dict[str, list[str]]
    targets: str


def cases(tmp: Path, wanted: set[str]) -> list[Case]:
    python = sys.executable
    found = []
    if "openapi" in wanted:
        spec = _largest_openapi()
        edited = _edited_openapi(spec, tmp)
        validate = (
            "import sys; from openapi_spec_validator import validate; "
            "from openapi_spec_validator.readers import read_from_filename as r; "
            "[validate(r(p)[0]) for p in sys.argv[1:]]"
        )
        found.append(
            Case(
                f"openapi ({spec.name}, {spec.stat().st_size / 1e6:.1f} MB)",
                {
                    "wiregen diff": [python, "-m", "wiregen", "diff", str(spec), str(edited)],
                    "openapi-spec-validator (both files)": [python, "-c", validate, str(spec), str(edited)],
                },
                "wiregen <= 2 s",
            )
        )
    if "proto-year" in wanted:
        old = corpus_dir() / "pairs" / "proto" / "googleapis-2025-07-31"
        new = corpus_dir() / "proto" / "googleapis"
        commands = {"wiregen diff": [python, "-m", "wiregen", "diff", str(old), str(new)]}
        buf = shutil.which("buf") or str(Path(sys.executable).parent / "buf")
        if Path(buf).is_file():
            config = json.dumps({"version": "v2", "breaking": {"use": ["WIRE_JSON"]}})
            commands["buf breaking (WIRE_JSON)"] = [buf, "breaking", str(new), "--against", str(old), "--config", config]
        found.append(Case("proto-year (googleapis 2025-07-31 -> 2026-08-22)", commands, "wiregen <= 1.3 s, <= 250 MB"))
    return found


def measure(case: Case, runs: int, cwd: Path) -> tuple[dict[str, list[Sample]], dict[str, list[Sample]]]:
    """(timed runs, memory-sampled runs) per command, alternating commands."""
    env = _environment()
    timed: dict[str, list[Sample]] = {name: [] for name in case.commands}
    sampled: dict[str, list[Sample]] = {name: [] for name in case.commands}
    for command in case.commands.values():  # one warm-up each: page cache, .pyc files
        run(command, env, cwd, sample_memory=False)
    for _ in range(runs):
        for name, command in case.commands.items():
            timed[name].append(run(command, env, cwd, sample_memory=False))
    for _ in range(3):
        for name, command in case.commands.items():
            sampled[name].append(run(command, env, cwd, sample_memory=True))
    return timed, sampled


def report(
    case: Case, measured: tuple[dict[str, list[Sample]], dict[str, list[Sample]]], emit: Callable[[str], None]
) -> None:
    timed, sampled = measured
    emit(f"\n### {case.name} (target: {case.targets})\n")
    emit("| command | median s | min s | peak MB, RSS summed | peak MB, PSS summed | peak MB, largest process |")
    emit("|---|---|---|---|---|---|")
    baseline = statistics.median(s.seconds for s in timed["wiregen diff"])
    for name, found in timed.items():
        seconds = statistics.median(s.seconds for s in found)
        ratio = "" if name == "wiregen diff" else f" ({seconds / baseline:.2f}x wiregen)"
        memory = sampled[name]
        emit(
            f"| {name} | {seconds:.2f}{ratio} | {min(s.seconds for s in found):.2f} | "
            f"{statistics.median(s.peak_tree_mb for s in memory):.0f} | "
            f"{statistics.median(s.peak_pss_mb for s in memory):.0f} | "
            f"{statistics.median(s.peak_process_mb for s in memory):.0f} |"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--case", action="append", choices=["openapi", "proto-year"])
    args = parser.parse_args(argv)
    wanted = set(args.case or ["openapi", "proto-year"])
    with tempfile.TemporaryDirectory(prefix="wiregen-diff-bench-") as tmp:
        for case in cases(Path(tmp), wanted):
            report(case, measure(case, args.runs, Path(tmp)), print)
    print(f"\n(load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
