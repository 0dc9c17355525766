"""The ``wiregen`` command: a thin adapter from arguments and config to the pure core.

It turns flags or ``[tool.wiregen]`` into requests, calls :func:`wiregen.pipeline.generate`,
hands the files to :mod:`wiregen.emit`, and turns diagnostics into text and exit
codes. It generates nothing itself.

Exit codes: 0 ok; 1 errors in the spec, or stale output for ``check``; 2 usage,
config or I/O errors; 70 a bug in wiregen (a traceback only with ``--debug``).
"""

from __future__ import annotations

import dataclasses
import re
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from wiregen import __version__, emit, pipeline
from wiregen.config import Job, find_pyproject, load_config, package_name_problem
from wiregen.diagnostics import Abort, Diagnostic
from wiregen.emit.codes import INVALID_CONTENT
from wiregen.pipeline import GenerateRequest, GenerateResult, Target

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE from sysexits.h: the fault is ours, not the user's

_F = TypeVar("_F", bound=Callable[..., Any])


class _Group(click.Group):
    """Turns whatever escapes a command into a message and an exit code, never a
    traceback: users feed wiregen untrusted specs, and a stack trace helps no one
    but the wiregen developers (who get it with --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Abort as exc:
            # Stages say which Abort is whose; one reaching this far is unplanned for,
            # so it is reported as an input problem of the "cannot go on" kind.
            _report(exc.diagnostics)
            ctx.exit(EXIT_USAGE)
        except OSError as exc:
            # Unreadable specs, permissions, full disks: the user's to fix, not a crash.
            click.echo(f"wiregen: error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)
        except Exception as exc:
            if ctx.params.get("debug"):
                traceback.print_exc()
            click.echo(f"wiregen: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo(
                "  hint: this is a bug in wiregen; rerun with --debug (or WIREGEN_DEBUG=1) "
                "for a traceback and please report it",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="wiregen", message="%(prog)s %(version)s")
@click.option(
    "--debug",
    is_flag=True,
    envvar="WIREGEN_DEBUG",
    help="Show a traceback when wiregen itself fails (also WIREGEN_DEBUG=1).",
)
def cli(debug: bool) -> None:
    """Generate typed Python packages from OpenAPI, AsyncAPI and .proto contracts."""


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``[project.scripts] wiregen``)."""
    cli.main(args=argv, prog_name="wiregen")


# --- options ---------------------------------------------------------------------------


def _parse_targets(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[Target, ...] | None:
    """``--target models,http-client`` and repeated ``--target`` both work."""
    if not values:
        return None
    targets: list[Target] = []
    for value in values:
        for name in filter(None, (part.strip() for part in value.split(","))):
            try:
                target = Target(name)
            except ValueError:
                known = ", ".join(t.value for t in Target)
                raise click.BadParameter(f"unknown target {name!r} (known: {known})") from None
            if target not in targets:
                targets.append(target)
    if not targets:
        raise click.BadParameter("no target given")
    return tuple(targets)


def _check_package(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    problem = package_name_problem(value) if value is not None else None
    if problem:
        raise click.BadParameter(f"{value!r} {problem}")
    return value


def _spec_argument(required: bool) -> Callable[[_F], _F]:
    return click.argument(
        "spec",
        required=required,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
    )


def _config_option(function: _F) -> _F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The pyproject.toml to read [tool.wiregen] from (default: the nearest one).",
    )(function)


def _remote_refs_option(function: _F) -> _F:
    return click.option(
        "--allow-remote-refs", is_flag=True, help="Let $ref fetch documents over the network."
    )(function)


def _job_options(function: _F) -> _F:
    for decorator in reversed(
        [
            _spec_argument(required=False),
            click.option(
                "-o",
                "--output",
                type=click.Path(file_okay=False, path_type=Path),
                help="Output directory.",
            ),
            click.option(
                "--package", callback=_check_package, help="Import name of the generated package."
            ),
            click.option(
                "--target",
                "targets",
                multiple=True,
                metavar="LIST",
                callback=_parse_targets,
                help="Targets to generate, comma-separated: "
                + ", ".join(t.value for t in Target)
                + ".",
            ),
            _remote_refs_option,
            _config_option,
        ]
    ):
        function = decorator(function)
    return function


# --- commands --------------------------------------------------------------------------


@cli.command()
@_job_options
def generate(
    spec: Path | None,
    output: Path | None,
    package: str | None,
    targets: tuple[Target, ...] | None,
    allow_remote_refs: bool,
    config_path: Path | None,
) -> None:
    """Generate code from SPEC, or from every configured job.

    Without SPEC, runs each [[tool.wiregen.jobs]] of the nearest pyproject.toml (or
    --config); flags then override the job's settings, which needs exactly one job.
    """
    jobs = _jobs(spec, output, package, targets, allow_remote_refs, config_path)
    _finish(max((_generate_one(job) for job in jobs), default=EXIT_OK))


@cli.command()
@_job_options
def check(
    spec: Path | None,
    output: Path | None,
    package: str | None,
    targets: tuple[Target, ...] | None,
    allow_remote_refs: bool,
    config_path: Path | None,
) -> None:
    """Fail with a diff if generated output is stale.

    Writes nothing; exits 1 and prints a unified diff of what `wiregen generate`
    would change, 0 when the output is up to date.
    """
    jobs = _jobs(spec, output, package, targets, allow_remote_refs, config_path)
    _finish(max((_check_one(job) for job in jobs), default=EXIT_OK))


@cli.command()
@_spec_argument(required=False)
@_remote_refs_option
@_config_option
def validate(spec: Path | None, allow_remote_refs: bool, config_path: Path | None) -> None:
    """Check a spec without generating anything.

    Without SPEC, checks the spec of every configured job.
    """
    if spec is not None:
        if config_path is not None:
            raise click.UsageError("--config cannot be combined with SPEC")
        requests = [_request_for(spec, allow_remote_refs)]
    else:
        requests = [
            dataclasses.replace(
                job.to_request(),
                targets=(),
                allow_remote_refs=job.allow_remote_refs or allow_remote_refs,
            )
            for job in _configured_jobs(config_path)
        ]
    code = EXIT_OK
    for request in requests:
        result = _run_pipeline(request)
        shown = request.spec_display or str(request.spec)
        if result is None or not result.ok:
            code = max(code, EXIT_FAILED)
        else:
            click.echo(f"wiregen: {shown}: valid", err=True)
    _finish(code)


@cli.command()
@_spec_argument(required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the IR to this file instead of stdout.",
)
@_remote_refs_option
def ir(spec: Path, output: Path | None, allow_remote_refs: bool) -> None:
    """Print the intermediate representation of SPEC as JSON."""
    request = dataclasses.replace(_request_for(spec, allow_remote_refs), targets=(Target.IR,))
    result = _run_pipeline(request)
    if result is None or not result.ok:
        _finish(EXIT_FAILED)
    text = result.files.get("ir.json")
    if text is None:
        raise RuntimeError("the ir target produced no ir.json")
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        emit.write_file(output, text)
    except Abort as exc:
        _report(exc.diagnostics)
        _finish(EXIT_USAGE)


# --- shared steps ----------------------------------------------------------------------


def _jobs(
    spec: Path | None,
    output: Path | None,
    package: str | None,
    targets: tuple[Target, ...] | None,
    allow_remote_refs: bool,
    config_path: Path | None,
) -> list[Job]:
    """The jobs to run: one from the flags when SPEC is given, else the configured ones."""
    if spec is not None:
        if config_path is not None:
            raise click.UsageError("--config cannot be combined with SPEC")
        if output is None or package is None:
            raise click.UsageError("with SPEC, both -o/--output and --package are required")
        job = Job(
            spec=spec,
            spec_display=_spec_display(spec),
            output=output,
            package=package,
            allow_remote_refs=allow_remote_refs,
        )
        return [job if targets is None else dataclasses.replace(job, targets=targets)]

    jobs = _configured_jobs(config_path)
    overrides: dict[str, Any] = {
        name: value
        for name, value in (("output", output), ("package", package), ("targets", targets))
        if value is not None
    }
    if allow_remote_refs:
        overrides["allow_remote_refs"] = True
    if not overrides:
        return jobs
    # Which of several jobs a flag would apply to is ambiguous; refuse rather than guess.
    if len(jobs) != 1:
        flags = ", ".join(sorted(overrides))
        raise click.UsageError(
            f"{flags} given without SPEC, but the config has {len(jobs)} jobs; "
            "flags can only override a config with exactly one job"
        )
    return [dataclasses.replace(jobs[0], **overrides)]


def _configured_jobs(config_path: Path | None) -> list[Job]:
    pyproject = config_path or find_pyproject(Path.cwd())
    if pyproject is None:
        raise click.UsageError(
            "no SPEC given and no pyproject.toml with a [tool.wiregen] table found "
            "here or in any parent directory"
        )
    try:
        config = load_config(pyproject)
    except Abort as exc:
        _report(exc.diagnostics)
        _finish(EXIT_USAGE)
    return list(config.jobs)


def _request_for(spec: Path, allow_remote_refs: bool) -> GenerateRequest:
    """A request for the commands that need no package name (validate, ir)."""
    return GenerateRequest(
        spec=spec,
        package=_placeholder_package(spec),
        targets=(),
        allow_remote_refs=allow_remote_refs,
        spec_display=_spec_display(spec),
    )


def _placeholder_package(spec: Path) -> str:
    # The request type requires a package; these commands never write one, so any
    # valid name will do, and one resembling the spec reads best in the IR.
    name = re.sub(r"[^A-Za-z0-9_]", "_", spec.name.split(".", 1)[0]).lower() or "api"
    if name[0].isdigit() or package_name_problem(name):
        name = f"api_{name}"
    return name


def _spec_display(spec: Path) -> str:
    """The spec as named in generated headers: as the user typed it when relative, and
    never an absolute path, which would differ from machine to machine."""
    if not spec.is_absolute():
        return spec.as_posix()
    try:
        return spec.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return spec.name


def _run_pipeline(request: GenerateRequest) -> GenerateResult | None:
    """The core's result with its diagnostics printed; None when it aborted."""
    try:
        # Looked up at call time so tests (and embedders) can substitute the core.
        result = pipeline.generate(request)
    except Abort as exc:
        _report(exc.diagnostics)
        return None
    _report(result.diagnostics)
    return result


def _generate_one(job: Job) -> int:
    result = _run_pipeline(job.to_request())
    # Emitting an empty result would delete every previously generated file.
    if result is None or not result.ok:
        return EXIT_FAILED
    try:
        outcome = emit.emit(result.files, job.output)
    except Abort as exc:
        _report(exc.diagnostics)
        return _emit_failure_code(exc.diagnostics)
    _report(outcome.diagnostics)
    click.echo(
        f"wiregen: {job.package}: {len(outcome.written)} written, "
        f"{outcome.unchanged} unchanged, {len(outcome.deleted)} deleted",
        err=True,
    )
    return EXIT_OK


def _check_one(job: Job) -> int:
    result = _run_pipeline(job.to_request())
    if result is None or not result.ok:
        return EXIT_FAILED
    try:
        is_stale, diff = emit.stale(result.files, job.output)
    except Abort as exc:
        _report(exc.diagnostics)
        return _emit_failure_code(exc.diagnostics)
    if is_stale:
        click.echo(diff, nl=False)
        click.echo(
            f"wiregen: {job.package}: {job.output} is stale; run `wiregen generate`", err=True
        )
        return EXIT_FAILED
    click.echo(f"wiregen: {job.package}: up to date", err=True)
    return EXIT_OK


def _emit_failure_code(diagnostics: Iterable[Diagnostic]) -> int:
    # Output that does not parse is our bug; anything else emit refuses is about the
    # output directory (unsafe paths, I/O), which the user has to sort out.
    if any(d.code == INVALID_CONTENT for d in diagnostics):
        return EXIT_INTERNAL
    return EXIT_USAGE


def _report(diagnostics: Iterable[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(), err=True)


def _finish(code: int) -> NoReturn:
    raise click.exceptions.Exit(code)
