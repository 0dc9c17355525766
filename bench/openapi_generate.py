#!/usr/bin/env python3
"""Benchmark OpenAPI -> Python generation: wiregen against its peers, side by side.

For each spec and each run, every tool generates into a fresh directory as a
subprocess; we record wall time and peak RSS (``ru_maxrss`` from ``os.wait4``,
i.e. the largest single process of the tool's tree, the tool and every child it
waited for). Tools run interleaved (run 1 of every tool, then run 2, ...) so
that slow drift of a noisy machine hits all of them alike; medians are reported.

Tools:
  wiregen                 python -m wiregen generate SPEC -o OUT --package bench_pkg
  openapi-python-client   own venv in bench/.venvs/ (created on first use, PyPI only)
  datamodel-codegen       models only, from this interpreter's environment
  openapi-generator       the PyPI wrapper `openapi-generator-cli` in its own venv;
                          needs a Java runtime; reported "unavailable here" if it
                          cannot run (no java, or a jar it cannot fetch)

Usage:
  python bench/openapi_generate.py                       # stripe, kubernetes, box; 3 runs
  python bench/openapi_generate.py --runs 1 --specs box.json --json /tmp/bench.json

The corpus is <repo>/../shared/corpus unless WIREGEN_CORPUS says otherwise.
See bench/README.md for what the numbers mean and do not mean.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
VENVS = BENCH / ".venvs"
DEFAULT_SPECS = ["stripe-spec3.json", "kubernetes.json", "box.json"]
PACKAGE = "bench_pkg"
IS_WINDOWS = os.name == "nt"


def corpus_dir() -> Path:
    env = os.environ.get("WIREGEN_CORPUS")
    return Path(env).resolve() if env else (REPO.parent / "shared" / "corpus").resolve()


def resolve_spec(name: str) -> Path:
    """A path as given if it exists, else a file name in the corpus' openapi/ folder."""
    p = Path(name)
    if p.is_file():
        return p.resolve()
    c = corpus_dir() / "openapi" / name
    if c.is_file():
        return c
    sys.exit(f"spec not found: {name} (looked in . and {c.parent})")


# --------------------------------------------------------------- measuring


@dataclass
class Run:
    wall_s: float
    maxrss_mb: float
    exit: int | None  # None: killed at the timeout
    timed_out: bool = False


def measure(
    argv: list[str],
    *,
    timeout: float,
    log: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run argv to completion; wall time and peak RSS of its process tree via wait4."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        deadline = t0 + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # the tool's own session only
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # stop Popen from reaping again
    # ru_maxrss is KiB on Linux, bytes on macOS.
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(
        wall_s=wall,
        maxrss_mb=rss_mb,
        exit=None if timed_out else proc.returncode,
        timed_out=timed_out,
    )


def version_of(argv: list[str], env: dict[str, str] | None = None) -> str:
    """Last word of a tool's `--version` output ("?" when it fails)."""
    rc, out = quick(argv, env=env)
    return out.split()[-1] if rc == 0 and out.strip() else "?"


def quick(
    argv: list[str], timeout: float = 120, env: dict[str, str] | None = None
) -> tuple[int, str]:
    try:
        cp = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
        )
        return cp.returncode, (cp.stdout + cp.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return -1, str(e)


# ------------------------------------------------------------------- tools


@dataclass
class Tool:
    name: str
    note: str = ""
    argv: Callable[[Path, Path], list[str]] | None = None  # (spec, out) -> argv
    env: dict[str, str] | None = None
    version: str = "?"
    unavailable: str = ""  # why the tool cannot run here, if it cannot


def venv_bin(venv: Path, exe: str) -> Path:
    return venv / ("Scripts" if IS_WINDOWS else "bin") / exe


def ensure_venv(name: str, requirement: str, exe: str, log: Path) -> tuple[Path | None, str]:
    """bench/.venvs/NAME with REQUIREMENT installed; (path to EXE, error)."""
    venv = VENVS / name
    target = venv_bin(venv, exe)
    if target.exists():
        return target, ""
    print(f"[setup] creating {venv.relative_to(REPO)} and installing {requirement} ...", flush=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        for cmd in (
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv_bin(venv, "python")), "-m", "pip", "install", "-q", requirement],
        ):
            if subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                return None, f"pip install {requirement} failed (see {log})"
    return target, ""


def make_tools(selected: list[str], python: str, logs: Path) -> list[Tool]:
    tools: list[Tool] = []

    if "wiregen" in selected:
        env = dict(os.environ)
        # Benchmark this checkout, whether or not wiregen is installed.
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO / "generator"), env.get("PYTHONPATH")])
        )
        t = Tool(
            "wiregen",
            note="all targets",
            env=env,
            argv=lambda s, o: [
                python,
                "-m",
                "wiregen",
                "generate",
                str(s),
                "-o",
                str(o),
                "--package",
                PACKAGE,
            ],
        )
        t.version = version_of([python, "-m", "wiregen", "--version"], env=env)
        tools.append(t)

    if "openapi-python-client" in selected:
        t = Tool("openapi-python-client", note="client + models, runs ruff")
        exe, err = ensure_venv(
            "openapi-python-client",
            "openapi-python-client",
            "openapi-python-client",
            logs / "setup-openapi-python-client.log",
        )
        if exe:
            # Its post-hooks run `ruff` from PATH, as they would in a normal install.
            t.env = dict(
                os.environ, PATH=os.pathsep.join([str(exe.parent), os.environ.get("PATH", "")])
            )
            t.argv = lambda s, o, exe=exe: [
                str(exe),
                "generate",
                "--path",
                str(s),
                "--output-path",
                str(o),
                "--overwrite",
            ]
            t.version = version_of([str(exe), "--version"])
        else:
            t.unavailable = err
        tools.append(t)

    if "datamodel-codegen" in selected:
        t = Tool("datamodel-codegen", note="models only")
        exe = Path(python).parent / "datamodel-codegen"
        exe_s = str(exe) if exe.exists() else shutil.which("datamodel-codegen")
        if exe_s:
            t.argv = lambda s, o, exe=exe_s: [
                exe,
                "--input",
                str(s),
                "--input-file-type",
                "openapi",
                "--output",
                str(o / "models.py"),
                "--output-model-type",
                "pydantic_v2.BaseModel",
            ]
            t.version = version_of([exe_s, "--version"])
        else:
            t.unavailable = "datamodel-codegen not installed"
        tools.append(t)

    if "openapi-generator" in selected:
        t = Tool("openapi-generator", note="python client, --skip-validate-spec")
        exe, err = ensure_venv(
            "openapi-generator-cli",
            "openapi-generator-cli",
            "openapi-generator-cli",
            logs / "setup-openapi-generator.log",
        )
        if exe:
            # The wrapper runs a jar with java; older wrappers fetch the jar from Maven
            # Central on first use, which fails offline. A `version` probe tells.
            rc, out = quick([str(exe), "version"], timeout=120)
            if rc == 0:
                t.version = out.splitlines()[-1]
                t.argv = lambda s, o, exe=exe: [
                    str(exe),
                    "generate",
                    "-i",
                    str(s),
                    "-g",
                    "python",
                    "-o",
                    str(o),
                    "--skip-validate-spec",
                    "--package-name",
                    PACKAGE,
                ]
            else:
                t.unavailable = "cannot run: " + (
                    out.splitlines()[-1][:120] if out else f"exit {rc}"
                )
        else:
            t.unavailable = err
        tools.append(t)
    return tools


# ------------------------------------------------------------------ results


@dataclass
class Result:
    spec: str
    tool: str
    note: str
    version: str
    status: str = "ok"
    runs: list[Run] = field(default_factory=list)
    py_files: int | None = None
    error: str = ""  # last line of the log of a failed run
    wall_s: float | None = None
    rss_mb: float | None = None
    time_vs_wiregen: float | None = None
    rss_vs_wiregen: float | None = None


def status_of(run: Run, timeout: float) -> str:
    if run.timed_out:
        return f"timeout (>{timeout:g} s)"
    return "ok" if run.exit == 0 else f"failed (exit {run.exit})"


def last_line(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def count_py(out: Path) -> int:
    return sum(1 for _ in out.rglob("*.py")) if out.exists() else 0


def find_package_root(out: Path) -> Path | None:
    """The directory to put on sys.path so that `import bench_pkg` works."""
    for cand in [out, out / "src", *sorted(p for p in out.glob("*") if p.is_dir())]:
        if (cand / PACKAGE / "__init__.py").exists():
            return cand
    if (out / "__init__.py").exists() and out.name == PACKAGE:
        return out.parent
    return None


def import_time(python: str, root: Path, n: int = 5) -> dict:
    """Median wall time of `import bench_pkg.client` minus that of an empty interpreter."""
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="")
    # One warm-up run writes the .pyc files, so every timed run measures the same thing.
    rc, out = quick([python, "-c", f"import {PACKAGE}.client"], env=env)
    if rc != 0:
        return {"status": f"import failed (exit {rc})", "error": (out.splitlines() or [""])[-1]}

    def med(code: str) -> float:
        ts = []
        for _ in range(n):
            t0 = time.perf_counter()
            subprocess.run([python, "-c", code], env=env, check=True, stdin=subprocess.DEVNULL)
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    base = med("pass")
    full = med(f"import {PACKAGE}.client")
    return {"status": "ok", "import_s": round(full - base, 4), "interpreter_s": round(base, 4)}


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "—" if x is None else format(x, spec)


def markdown(results: list[Result], imports: dict[str, dict], meta: dict) -> str:
    lines = [
        "# OpenAPI generation benchmark\n",
        f"{meta['machine']['cpus']} CPUs, {meta['machine']['platform']}, Python "
        f"{meta['machine']['python']}; median of up to {meta['runs']} runs; timeout "
        f"{meta['timeout_s']:g} s. Peak RSS = largest single process of the tool's tree.\n",
        "| spec | tool | status | wall s | peak RSS MB | time ÷ wiregen | RSS ÷ wiregen | .py files | runs |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        tool = f"{r.tool} ({r.note})" if r.note else r.tool
        lines.append(
            f"| {r.spec} | {tool} | {r.status} | {fmt(r.wall_s)} | {fmt(r.rss_mb, '.0f')} | "
            f"{fmt(r.time_vs_wiregen)} | {fmt(r.rss_vs_wiregen)} | {fmt(r.py_files, 'd')} | "
            f"{len(r.runs)} |"
        )
    lines += [
        "",
        "| spec | fastest successful peer | wiregen client import (s, over a bare interpreter) |",
        "|---|---|---|",
    ]
    for spec in dict.fromkeys(r.spec for r in results):
        peers = [r for r in results if r.spec == spec and r.tool != "wiregen" and r.status == "ok"]
        best = min(peers, key=lambda r: r.wall_s or 0.0, default=None)
        best_s = f"{best.tool} ({best.note}), {best.wall_s:.2f} s" if best else "none"
        imp = imports.get(spec, {})
        imp_s = (
            fmt(imp.get("import_s"), ".3f") if imp.get("status") == "ok" else imp.get("status", "—")
        )
        lines.append(f"| {spec} | {best_s} | {imp_s} |")
    lines += ["", "Versions: " + ", ".join(f"{t} {v}" for t, v in meta["versions"].items())]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--specs",
        nargs="+",
        default=DEFAULT_SPECS,
        help="corpus file names (in $WIREGEN_CORPUS/openapi) or paths",
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300.0, help="per tool and run, seconds")
    ap.add_argument(
        "--tools",
        nargs="+",
        default=["wiregen", "openapi-python-client", "datamodel-codegen", "openapi-generator"],
    )
    ap.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter with wiregen's dependencies (and datamodel-codegen)",
    )
    ap.add_argument("--workdir", type=Path, help="where outputs and logs go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep generated outputs")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--markdown", type=Path, help="also write the Markdown report here")
    args = ap.parse_args(argv)

    specs = [resolve_spec(s) for s in args.specs]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="wiregen-bench-"))
    work = work.resolve()
    logs = work / "logs"
    tools = make_tools(args.tools, args.python, logs)

    results: list[Result] = []
    imports: dict[str, dict] = {}
    for spec in specs:
        by_tool = {t.name: Result(spec.name, t.name, t.note, t.version) for t in tools}
        for t in tools:
            if t.unavailable:
                by_tool[t.name].status = f"unavailable here ({t.unavailable})"
        for i in range(1, args.runs + 1):
            for t in tools:
                res = by_tool[t.name]
                if t.argv is None or res.status != "ok":
                    continue  # unavailable, or failed already: a failure is not worth timing again
                out = work / "out" / spec.stem / t.name
                shutil.rmtree(out, ignore_errors=True)  # fresh output: no incremental shortcuts
                out.mkdir(parents=True)
                run = measure(
                    t.argv(spec, out),
                    timeout=args.timeout,
                    env=t.env,
                    log=logs / f"{spec.stem}.{t.name}.run{i}.log",
                )
                res.runs.append(run)
                res.status = status_of(run, args.timeout)
                res.py_files = count_py(out)
                if res.status != "ok":
                    res.error = last_line(logs / f"{spec.stem}.{t.name}.run{i}.log")
                print(
                    f"[{spec.name}] {t.name} run {i}: {res.status}, {run.wall_s:.2f} s, "
                    f"{run.maxrss_mb:.0f} MB",
                    flush=True,
                )
                if t.name == "wiregen" and i == args.runs and res.status == "ok":
                    root = find_package_root(out)
                    imports[spec.name] = (
                        import_time(args.python, root)
                        if root
                        else {"status": f"no {PACKAGE}/ in output"}
                    )
                if not args.keep:
                    shutil.rmtree(out, ignore_errors=True)
        if spec.name not in imports and "wiregen" in by_tool:
            imports[spec.name] = {"status": "wiregen did not generate"}

        for res in by_tool.values():
            ok = [r for r in res.runs if r.exit == 0]
            if res.status == "ok" and ok:
                res.wall_s = statistics.median(r.wall_s for r in ok)
                res.rss_mb = statistics.median(r.maxrss_mb for r in ok)
            elif res.runs:  # show what the failed run cost (a killed tree's RSS is not known)
                last = res.runs[-1]
                res.wall_s, res.rss_mb = last.wall_s, None if last.timed_out else last.maxrss_mb
        wg = by_tool.get("wiregen")
        for res in by_tool.values():
            if wg and res is not wg and res.status == "ok" and wg.status == "ok":
                res.time_vs_wiregen = res.wall_s / wg.wall_s
                res.rss_vs_wiregen = res.rss_mb / wg.rss_mb
        results.extend(by_tool.values())

    meta = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "runs": args.runs,
        "timeout_s": args.timeout,
        "workdir": str(work),
        "versions": {t.name: t.version for t in tools},
    }
    report = markdown(results, imports, meta)
    print("\n" + report)
    if args.markdown:
        args.markdown.write_text(report)
    if args.json:
        payload = {
            "meta": meta,
            "results": [
                {k: v for k, v in r.__dict__.items() if k != "runs"}
                | {"runs": [run.__dict__ for run in r.runs]}
                for r in results
            ],
            "wiregen_import": imports,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
