"""The ``wiregen`` command: a thin adapter from arguments and config to the pure core.

It turns flags or ``[tool.wiregen]`` into jobs, runs each through
:func:`wiregen.integrations.runner.run_job` (cache, core, emit) and turns the results
into output (:mod:`wiregen.integrations.report`) and exit codes. It generates nothing
itself.

Exit codes: 0 ok; 1 errors in the spec, stale output (``check``) or changed output
(``generate --fail-on-change``); 2 usage, config or I/O errors; 70 a bug in wiregen
(a traceback only with ``--debug``).

Only what every command needs is imported up front: a cached no-op run must not pay
for the emit stage, the frontends or jinja2.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from wiregen import __version__, pipeline
from wiregen.config import Job, find_pyproject, load_config, package_name_problem
from wiregen.diagnostics import Abort, Diagnostic
from wiregen.integrations import progress, starter
from wiregen.integrations.cache import JobCache, default_directory
from wiregen.integrations.report import OutputFormat, Reporter, color_for
from wiregen.integrations.runner import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Mode,
    Outcome,
    Status,
    run_job,
)
from wiregen.pipeline import GenerateRequest, GenerateResult, Target

__all__ = ["EXIT_FAILED", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "cli", "main"]

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
    """Generate typed Python packages from OpenAPI, AsyncAPI and .proto contracts.

    \b
    Exit codes:
      0   ok
      1   errors in a spec; stale output (check); changed output
          (generate --fail-on-change)
      2   usage, configuration or I/O problems
      70  a bug in wiregen
    """


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
            # Several specs make one job: the .proto files of one package set.
            click.argument(
                "specs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path)
            ),
            click.option(
                "-I",
                "--include",
                "includes",
                multiple=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path),
                help="An import root for .proto specs (repeatable), as protoc's -I.",
            ),
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
            click.option(
                "--templates",
                type=click.Path(exists=True, file_okay=False, path_type=Path),
                help="A directory of template overrides: a file at the same relative path "
                "as one of wiregen's (e.g. models/models.py.j2) replaces it.",
            ),
            click.option(
                "--no-cache",
                is_flag=True,
                envvar="WIREGEN_NO_CACHE",
                help="Run every job even when none of its inputs changed "
                "(also WIREGEN_NO_CACHE=1).",
            ),
        ]
    ):
        function = decorator(function)
    return function


def _output_options(function: _F) -> _F:
    for decorator in reversed(
        [
            click.option("-q", "--quiet", is_flag=True, help="Show only errors and findings."),
            click.option(
                "-v",
                "--verbose",
                is_flag=True,
                help="Also show every file written and why a job ran (cache misses).",
            ),
            click.option(
                "--output-format",
                type=click.Choice([f.value for f in OutputFormat]),
                default=OutputFormat.TEXT.value,
                show_default=True,
                help="How to print diagnostics: text, one json document on stdout, or "
                "GitHub Actions annotations (github).",
            ),
        ]
    ):
        function = decorator(function)
    return function


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _JobArgs:
    """The job-selecting flags of generate and check, as one value."""

    specs: tuple[Path, ...]
    includes: tuple[Path, ...]
    output: Path | None
    package: str | None
    targets: tuple[Target, ...] | None
    allow_remote_refs: bool
    config_path: Path | None
    templates: Path | None
    no_cache: bool


def _reporter(command: str, quiet: bool, verbose: bool, output_format: str) -> Reporter:
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose cannot be combined")
    return Reporter(
        command,
        output_format=OutputFormat(output_format),
        verbosity=-1 if quiet else 1 if verbose else 0,
        color_out=color_for(sys.stdout),
        color_err=color_for(sys.stderr),
    )


# --- commands --------------------------------------------------------------------------


@cli.command()
@_job_options
@click.option(
    "--fail-on-change",
    is_flag=True,
    help="Exit 1 when any file was written, created or deleted, naming each one "
    "(what the pre-commit hook runs: git alone does not notice new files).",
)
@_output_options
def generate(
    fail_on_change: bool, quiet: bool, verbose: bool, output_format: str, **job_args: Any
) -> None:
    """Generate code from SPEC, or from every configured job.

    Without SPEC, runs each [[tool.wiregen.jobs]] of the nearest pyproject.toml (or
    --config); flags then override the job's settings, which needs exactly one job.
    A job none of whose inputs changed since its last run is skipped (see --no-cache).
    """
    reporter = _reporter("generate", quiet, verbose, output_format)
    args = _JobArgs(**job_args)
    outcomes = _run_jobs(Mode.GENERATE, args, reporter, list_changes=fail_on_change)
    code = max((o.exit_code for o in outcomes), default=EXIT_OK)
    if fail_on_change and any(o.status is Status.CHANGED for o in outcomes):
        code = max(code, EXIT_FAILED)
    _exit(reporter, code)


@cli.command()
@_job_options
@_output_options
def check(quiet: bool, verbose: bool, output_format: str, **job_args: Any) -> None:
    """Fail with a diff if generated output is stale.

    Writes nothing; exits 1 and prints a unified diff of what `wiregen generate`
    would change, 0 when the output is up to date.
    """
    reporter = _reporter("check", quiet, verbose, output_format)
    outcomes = _run_jobs(Mode.CHECK, _JobArgs(**job_args), reporter, list_changes=False)
    _exit(reporter, max((o.exit_code for o in outcomes), default=EXIT_OK))


@cli.command()
@_spec_argument(required=False)
@_remote_refs_option
@_config_option
@_output_options
def validate(
    spec: Path | None,
    allow_remote_refs: bool,
    config_path: Path | None,
    quiet: bool,
    verbose: bool,
    output_format: str,
) -> None:
    """Check a spec without generating anything.

    Without SPEC, checks the spec of every configured job.
    """
    reporter = _reporter("validate", quiet, verbose, output_format)
    if spec is not None:
        if config_path is not None:
            raise click.UsageError("--config cannot be combined with SPEC")
        requests = [_request_for(spec, allow_remote_refs)]
    else:
        jobs, _root = _configured_jobs(config_path, reporter)
        requests = [
            dataclasses.replace(
                job.to_request(),
                targets=(),
                allow_remote_refs=job.allow_remote_refs or allow_remote_refs,
            )
            for job in jobs
        ]
    code = EXIT_OK
    for request in requests:
        result = _run_pipeline(request, reporter)
        shown = request.spec_display or str(request.spec)
        if result is None or not result.ok:
            code = max(code, EXIT_FAILED)
        else:
            reporter.note(f"{shown}: valid")
    _exit(reporter, code)


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
    reporter = Reporter("ir", color_err=color_for(sys.stderr))
    request = dataclasses.replace(_request_for(spec, allow_remote_refs), targets=(Target.IR,))
    result = _run_pipeline(request, reporter)
    if result is None or not result.ok:
        _finish(EXIT_FAILED)
    text = result.files.get("ir.json")
    if text is None:
        raise RuntimeError("the ir target produced no ir.json")
    if output is None:
        click.echo(text, nl=False)
        return
    from wiregen import emit

    try:
        emit.write_file(output, text)
    except Abort as exc:
        reporter.diagnostics(exc.diagnostics)
        _finish(EXIT_USAGE)


@cli.command()
@click.argument("specs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def init(specs: tuple[Path, ...]) -> None:
    """Add a starter [tool.wiregen] table to ./pyproject.toml.

    With SPECS, one job per spec; without, one per OpenAPI spec found below the
    current directory. Refuses to touch a pyproject.toml that already has the table.
    """
    root = Path.cwd()
    pyproject = root / "pyproject.toml"
    if specs:
        found = starter.Found(starter.relative_specs(specs, root), ())
    else:
        found = starter.find_specs(root)
    table = starter.starter_table(found, has_src=(root / "src").is_dir())
    try:
        starter.add_to_pyproject(pyproject, table)
    except starter.StarterError as exc:
        click.echo(f"wiregen: error: {exc}", err=True)
        _finish(EXIT_USAGE)
    click.echo(table.lstrip("\n"), nl=False)
    jobs = len(found.specs) or 1
    click.echo(
        f"wiregen: added [tool.wiregen] with {jobs} job{'s' if jobs > 1 else ''} to "
        f"{pyproject.name}; review it, then run `wiregen generate`",
        err=True,
    )


@cli.command()
@click.argument("specs", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--against", metavar="REF", help="Compare SPEC with its state at this git revision.")
@click.option(
    "-I",
    "--include",
    "includes",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Extra import directory for .proto revisions (repeatable).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["breaking", "warning"]),
    help="The least severe change that fails the run (default: breaking, or [tool.wiregen.diff]).",
)
@click.option(
    "--output-format",
    type=click.Choice(["text", "json", "markdown", "github"]),
    default="text",
    show_default=True,
    help="text; one JSON document; a Markdown changelog; or GitHub Actions annotations.",
)
@_remote_refs_option
@_config_option
def diff(
    specs: tuple[Path, ...],
    against: str | None,
    includes: tuple[Path, ...],
    fail_on: str | None,
    output_format: str,
    allow_remote_refs: bool,
    config_path: Path | None,
) -> None:
    """Report what changed between two revisions of a contract, and check the version.

    \b
    wiregen diff OLD NEW              two spec files, or two .proto include directories
    wiregen diff SPEC --against REF   the working tree against a git revision
    wiregen diff [--against REF]      every configured job, against [tool.wiregen.diff]
                                      `against` (default: HEAD)

    Every change has a stable rule code (docs/diff-rules.md) and a severity: breaking,
    warning or non-breaking. Breaking changes without a new major version (info.version,
    or a proto package's vN) fail, as does anything at or above --fail-on. Exit 0 when
    nothing fails, 1 when something does or a revision has errors, 2 on usage problems.
    """
    from wiregen.diff import output
    from wiregen.diff.engine import DiffReport, diff_against, diff_paths
    from wiregen.diff.rules import Severity

    reports: list[DiffReport] = []
    configured_fail_on = "breaking"
    if len(specs) == 2:
        if against is not None:
            raise click.UsageError("--against compares one SPEC with a git revision; give one SPEC, not two")
        reports.append(diff_paths(specs[0], specs[1], includes=includes, allow_remote_refs=allow_remote_refs))
    elif len(specs) == 1:
        if against is None:
            raise click.UsageError("give OLD and NEW, or one SPEC with --against REF")
        reports.append(diff_against(specs[0], against, includes=includes, allow_remote_refs=allow_remote_refs))
    elif specs:
        raise click.UsageError("at most two SPECs (OLD NEW)")
    else:
        config = _diff_config(config_path)
        # Without a configured revision: the last commit, what a pre-commit hook compares.
        ref = against or config.diff_against or "HEAD"
        configured_fail_on = config.diff_fail_on
        for job in config.jobs:
            target = job.spec
            if job.spec.suffix == ".proto":
                from wiregen.frontends.protoc import inferred_root

                target = job.include[0] if job.include else inferred_root(job.spec)
            reports.append(
                diff_against(target, ref, includes=job.include[1:], allow_remote_refs=job.allow_remote_refs)
            )
    threshold = Severity(fail_on or configured_fail_on)
    code = EXIT_OK
    documents = []
    for report in reports:
        _report(report.diagnostics)
        if not report.ok:
            code = EXIT_FAILED
            continue
        if report.failing(threshold):
            code = EXIT_FAILED
        if output_format == "json":
            documents.append(output.as_json(report, threshold))
        else:
            click.echo(output.render(report, output_format, threshold), nl=False)
    if output_format == "json":
        import json

        shown = documents[0] if len(specs) and documents else documents
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
    _finish(code)


def _diff_config(config_path: Path | None) -> Any:
    pyproject = config_path or find_pyproject(Path.cwd())
    if pyproject is None:
        raise click.UsageError(
            "no SPEC given and no pyproject.toml with a [tool.wiregen] table found here or in any parent directory"
        )
    try:
        return load_config(pyproject)
    except Abort as exc:
        _report(exc.diagnostics)
        _finish(EXIT_USAGE)


# --- shared steps ----------------------------------------------------------------------


def _run_jobs(
    mode: Mode, args: _JobArgs, reporter: Reporter, *, list_changes: bool
) -> list[Outcome]:
    jobs, root = _jobs(args, reporter)
    cache_dir = default_directory(root)
    status = progress.Progress(
        sys.stderr,
        enabled=reporter.format is OutputFormat.TEXT
        and reporter.verbosity >= 0
        and progress.wanted(sys.stderr),
    )
    outcomes = []
    for number, job in enumerate(jobs, 1):
        cache = None if args.no_cache else JobCache(cache_dir, job.to_request(), job.output)
        doing = "generating" if mode is Mode.GENERATE else "checking"
        label = f"{job.package}: {doing}"
        with status.step(f"[{number}/{len(jobs)}] {label}" if len(jobs) > 1 else label):
            outcome = run_job(job, mode, cache=cache)
        reporter.job(outcome, list_changes=list_changes)
        outcomes.append(outcome)
    return outcomes


def _jobs(args: _JobArgs, reporter: Reporter) -> tuple[list[Job], Path]:
    """The jobs to run (one from the flags when SPEC is given, else the configured
    ones) and the project root, where the cache lives."""
    jobs, root = _selected_jobs(args, reporter)
    if args.templates is not None:
        jobs = [dataclasses.replace(job, templates=args.templates.absolute()) for job in jobs]
    return jobs, root


def _selected_jobs(args: _JobArgs, reporter: Reporter) -> tuple[list[Job], Path]:
    if args.specs:
        if args.config_path is not None:
            raise click.UsageError("--config cannot be combined with SPEC")
        if args.output is None or args.package is None:
            raise click.UsageError("with SPEC, both -o/--output and --package are required")
        job = Job(
            spec=args.specs[0],
            more_specs=args.specs[1:],
            spec_display=_spec_display(args.specs[0]),
            output=args.output,
            package=args.package,
            allow_remote_refs=args.allow_remote_refs,
            include=tuple(p.absolute() for p in args.includes),
        )
        if args.targets is not None:
            job = dataclasses.replace(job, targets=args.targets)
        return [job], Path.cwd()

    jobs, root = _configured_jobs(args.config_path, reporter)
    overrides: dict[str, Any] = {
        name: value
        for name, value in (
            ("output", args.output),
            ("package", args.package),
            ("targets", args.targets),
            ("include", tuple(p.absolute() for p in args.includes) or None),
        )
        if value is not None
    }
    if args.allow_remote_refs:
        overrides["allow_remote_refs"] = True
    if not overrides:
        return jobs, root
    # Which of several jobs a flag would apply to is ambiguous; refuse rather than guess.
    if len(jobs) != 1:
        flags = ", ".join(sorted(overrides))
        raise click.UsageError(
            f"{flags} given without SPEC, but the config has {len(jobs)} jobs; "
            "flags can only override a config with exactly one job"
        )
    return [dataclasses.replace(jobs[0], **overrides)], root


def _configured_jobs(config_path: Path | None, reporter: Reporter) -> tuple[list[Job], Path]:
    pyproject = config_path or find_pyproject(Path.cwd())
    if pyproject is None:
        raise click.UsageError(
            "no SPEC given and no pyproject.toml with a [tool.wiregen] table found "
            "here or in any parent directory"
        )
    try:
        config = load_config(pyproject)
    except Abort as exc:
        reporter.diagnostics(exc.diagnostics)
        _exit(reporter, EXIT_USAGE)
    return list(config.jobs), config.path.parent.absolute()


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


def _run_pipeline(request: GenerateRequest, reporter: Reporter) -> GenerateResult | None:
    """The core's result with its diagnostics printed; None when it aborted."""
    try:
        # Looked up at call time so tests (and embedders) can substitute the core.
        result = pipeline.generate(request)
    except Abort as exc:
        reporter.diagnostics(exc.diagnostics)
        return None
    reporter.diagnostics(result.diagnostics)
    return result


def _report(diagnostics: Iterable[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(), err=True)


def _exit(reporter: Reporter, code: int) -> NoReturn:
    reporter.finish(code)
    _finish(code)


def _finish(code: int) -> NoReturn:
    raise click.exceptions.Exit(code)
