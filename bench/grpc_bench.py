"""gRPC: generation time and peak memory against protoc and its plugins; per-call overhead.

Usage::

    python bench/grpc_bench.py generate [--sets googleapis-compute googleapis-aiplatform] [--runs 3]
                                        [--tools wiregen protoc-pyi protoc-py-pyi mypy-protobuf betterproto2]
                                        [--tools ... wiregen-baseline --baseline DIR]
    python bench/grpc_bench.py calls [--calls 3000] [--runs 5]

``generate`` runs each tool in a fresh process into an empty directory, runs
interleaved, and reports medians of wall time, of CPU time (user + system of the
process and its children, from ``os.wait4``: wiregen uses a second process on large
inputs) and of peak RSS (``ru_maxrss``). ``calls`` measures sequential unary calls over
loopback: the generated ``grpc.aio`` client against the raw ``grpc.aio`` stub
(a ``channel.unary_unary`` callable), same server, same process, interleaved.
Tools that are not installed are reported as unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("WIREGEN_CORPUS", REPO.parent / "shared" / "corpus"))
PROTO = CORPUS / "proto"
ROOTS = ("googleapis", "wkt", "opentelemetry-proto", "grpc-proto")

# Each tool is a Python snippet run with ``python -c``: argv = [out, *import names].
_PROTOC = """
import sys, os
from grpc_tools import protoc
import grpc_tools
out, files = sys.argv[1], sys.argv[2:]
roots = os.environ["BENCH_ROOTS"].split(os.pathsep)
bundled = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
args = ["protoc", *[f"-I{r}" for r in roots], f"-I{bundled}", *os.environ["BENCH_FLAGS"].replace("OUT", out).split()]
sys.exit(protoc.main(args + files))
"""
_WIREGEN = """
import sys, os
from pathlib import Path
from wiregen.pipeline import GenerateRequest, Target, generate
out, files = Path(sys.argv[1]), sys.argv[2:]
roots = [Path(r) for r in os.environ["BENCH_ROOTS"].split(os.pathsep)]
def locate(name):
    return next(r / name for r in roots if (r / name).is_file())
specs = [locate(f) for f in files]
result = generate(GenerateRequest(spec=specs[0], specs=tuple(specs[1:]), package="bench_pkg",
                                  targets=(Target.GRPC,), includes=tuple(roots)))
if not result.ok:
    print("\\n".join(d.format() for d in result.diagnostics), file=sys.stderr)
    sys.exit(1)
from wiregen.emit import emit
emit(result.files, out)  # what `wiregen generate` does: check (parse) every file, then write
"""

TOOLS = {
    "wiregen": ("wiregen (grpc target)", _WIREGEN, ""),
    # Another checkout's generator (``--baseline DIR``), for before/after runs side by side.
    "wiregen-baseline": ("wiregen (grpc target), --baseline", _WIREGEN, ""),
    "protoc-pyi": ("protoc --python_out --pyi_out --grpc_python_out", _PROTOC, "--python_out=OUT --pyi_out=OUT --grpc_python_out=OUT"),
    "protoc-py-pyi": ("protoc --python_out --pyi_out (no gRPC stubs)", _PROTOC, "--python_out=OUT --pyi_out=OUT"),
    "mypy-protobuf": ("protoc --python_out + mypy-protobuf (--mypy_out --mypy_grpc_out)", _PROTOC, "--python_out=OUT --mypy_out=OUT --mypy_grpc_out=OUT --grpc_python_out=OUT"),
    "betterproto2": ("protoc + betterproto2 (--python_betterproto2_out)", _PROTOC, "--python_betterproto2_out=OUT"),
}


def _set_files(name: str) -> list[str]:
    return [line.strip() for line in (PROTO / "sets" / f"{name}.txt").read_text().splitlines() if line.strip()]


def _plugin_flags(tool: str) -> str | None:
    """Extra ``--plugin`` flags, or None when the tool is not installed."""
    bindir = Path(sys.executable).parent
    plugins = {
        "mypy-protobuf": ["protoc-gen-mypy", "protoc-gen-mypy_grpc"],
        "betterproto2": ["protoc-gen-python_betterproto2"],
    }.get(tool, [])
    flags = []
    for plugin in plugins:
        path = bindir / plugin
        if not path.exists():
            found = shutil.which(plugin)
            if found is None:
                return None
            path = Path(found)
        flags.append(f"--plugin={plugin}={path}")
    return " ".join(flags)


Row = tuple[str, float, float, float]
"""status, wall seconds, CPU seconds (user + system, the process and its children), peak RSS MB"""


BASELINE: list[Path] = []
"""The ``generator`` directory ``wiregen-baseline`` runs (set by ``--baseline``)."""


def _run_tool(tool: str, files: list[str], timeout: float) -> Row:
    _, code, flags = TOOLS[tool]
    generator = BASELINE[0] if tool == "wiregen-baseline" and BASELINE else REPO / "generator"
    plugins = _plugin_flags(tool)
    if plugins is None:
        return "unavailable", 0.0, 0.0, 0.0
    out = Path(tempfile.mkdtemp(prefix=f"bench-{tool}-"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(generator), os.environ.get("PYTHONPATH", "")]),
        "BENCH_ROOTS": os.pathsep.join(str(PROTO / r) for r in ROOTS),
        "BENCH_FLAGS": f"{plugins} {flags}".strip(),
        # betterproto2's plugin runs `ruff` from PATH on its output
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else every run compiles every module it imports
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", code, str(out), *files], env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        _, wait_status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(wait_status)
    shutil.rmtree(out, ignore_errors=True)
    if elapsed >= timeout:
        return f"timeout (>{timeout:.0f} s)", elapsed, 0.0, 0.0
    if process.returncode != 0:
        return f"failed (exit {process.returncode})", elapsed, 0.0, 0.0
    return "ok", elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def bench_generate(sets: list[str], tools: list[str], runs: int, timeout: float) -> None:
    bases = [t for t in ("protoc-pyi", "protoc-py-pyi") if t in tools]
    print(
        "| set | tool | status | wall s (median) | CPU s (median) | peak RSS MB | "
        + " | ".join(f"x {b} (wall)" for b in bases)
        + " |"
    )
    print("|---|---|---|---|---|---|" + "---|" * len(bases))
    for name in sets:
        files = _set_files(name)
        results: dict[str, list[Row]] = {t: [] for t in tools}
        for _ in range(runs):
            for tool in tools:
                if results[tool] and results[tool][-1][0] != "ok":
                    continue  # failed or unavailable once: not again
                results[tool].append(_run_tool(tool, files, timeout))
        base_walls = {b: _median(results[b], 1) for b in bases}
        for tool in tools:
            rows = results[tool]
            status = rows[-1][0] if rows else "not run"
            ok = status == "ok"
            wall, cpu, rss = (_median(rows, i) for i in (1, 2, 3))
            ratios = [f"{wall / base_walls[b]:.2f}" if ok and base_walls[b] else "" for b in bases]
            shown = [f"{wall:.2f}", f"{cpu:.2f}", f"{rss:.0f}"] if ok else ["", "", ""]
            print(f"| {name} | {TOOLS[tool][0]} | {status} | " + " | ".join(shown + ratios) + " |")


def _median(rows: list[Row], column: int) -> float:
    good = [float(row[column]) for row in rows if row[0] == "ok"]
    return statistics.median(good) if good else 0.0


# ------------------------------------------------------------------ calls


def bench_calls(calls: int, runs: int) -> None:
    sys.path.insert(0, str(REPO / "generator"))
    sys.path.insert(0, str(REPO))
    from tests.grpc.support import EXAMPLE_SPEC, generate_files, import_from, write_tree

    out = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    write_tree(generate_files(EXAMPLE_SPEC, "bench_calls_pkg"), out)
    catalog = import_from(out, "bench_calls_pkg.acme.catalog.v1")
    asyncio.run(_calls(catalog, calls, runs))


async def _calls(catalog: object, calls: int, runs: int) -> None:
    import grpc.aio

    cat: object = catalog

    class Catalog(cat.CatalogServiceServicer):  # type: ignore[misc,name-defined]
        async def get_product(self, request: object, context: object) -> object:
            return cat.Product(id="p", name="n")  # type: ignore[attr-defined]

    server = grpc.aio.server()
    Catalog().add_to_server(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    target = f"127.0.0.1:{port}"
    request = cat.GetProductRequest(id="p")  # type: ignore[attr-defined]
    generated = cat.AsyncCatalogServiceClient(target)  # type: ignore[attr-defined]
    channel = grpc.aio.insecure_channel(target)
    raw = channel.unary_unary(
        "/acme.catalog.v1.CatalogService/GetProduct",
        request_serializer=cat.GetProductRequest.SerializeToString,  # type: ignore[attr-defined]
        response_deserializer=cat.Product.FromString,  # type: ignore[attr-defined]
    )

    async def with_generated() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await generated.get_product(request)
        return time.perf_counter() - started

    async def with_raw() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await raw(request, timeout=30)
        return time.perf_counter() - started

    await with_generated()  # warm both up
    await with_raw()
    times: dict[str, list[float]] = {"raw stub": [], "generated client": []}
    for _ in range(runs):
        times["raw stub"].append(await with_raw())
        times["generated client"].append(await with_generated())
    raw_median = statistics.median(times["raw stub"])
    print("| client | µs per call (median of runs) | x raw |")
    print("|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median / calls * 1e6:.0f} | {median / raw_median:.3f} |")
    await generated.close()
    await channel.close()
    await server.stop(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--sets", nargs="+", default=["googleapis-compute", "googleapis-aiplatform"])
    gen.add_argument("--tools", nargs="+", default=[t for t in TOOLS if t != "wiregen-baseline"], choices=list(TOOLS))
    gen.add_argument(
        "--baseline", type=Path, metavar="DIR",
        help="another wiregen checkout (e.g. `git archive REV | tar -x -C DIR`) for the wiregen-baseline tool",
    )
    gen.add_argument("--runs", type=int, default=3)
    gen.add_argument("--timeout", type=float, default=300)
    calls = sub.add_parser("calls")
    calls.add_argument("--calls", type=int, default=3000)
    calls.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.command == "generate":
        if "wiregen-baseline" in args.tools:
            if args.baseline is None:
                parser.error("the wiregen-baseline tool needs --baseline DIR")
            BASELINE.append(args.baseline.resolve() / "generator")
        bench_generate(args.sets, args.tools, args.runs, args.timeout)
    else:
        bench_calls(args.calls, args.runs)


if __name__ == "__main__":
    main()
