"""What the user sees: diagnostics and job results as text, JSON or GitHub annotations.

- ``text`` (default): diagnostics and one summary line per job on stderr, a diff on
  stdout; colour only on a terminal and never with ``NO_COLOR`` set.
- ``json``: one JSON document on stdout when the command ends, nothing on stderr:
  ``{"wiregen", "command", "exit_code", "diagnostics": [...], "jobs": [...]}``.
- ``github``: workflow commands on stdout (``::error file=…,line=…,col=…,title=WG…::…``)
  so a GitHub Actions run annotates the spec lines; summaries stay on stderr.

In ``json`` and ``github`` a stale file (check) or a file a run changed (generate
``--fail-on-change``) is a finding of its own, WG701 or WG702, pointing at the file.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import click

from wiregen import __version__
from wiregen.diagnostics import Diagnostic, Severity, SourceSpan, error
from wiregen.integrations.runner import Outcome, Status
from wiregen.integrations.serial import diagnostic_to_json

STALE_CODE = "WG701"
CHANGED_CODE = "WG702"


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


def color_for(stream: TextIO) -> bool:
    """Colour on a terminal, unless NO_COLOR is set to anything (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def display_path(path: Path) -> str:
    """A path as messages show it: relative to the working directory where possible."""
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


class Reporter:
    def __init__(
        self,
        command: str,
        *,
        output_format: OutputFormat = OutputFormat.TEXT,
        verbosity: int = 0,
        color_out: bool = False,
        color_err: bool = False,
    ) -> None:
        self.command = command
        self.format = output_format
        self.verbosity = verbosity
        """-1 quiet (errors and findings only), 0 normal, 1 verbose."""
        self._color_out = color_out
        self._color_err = color_err
        self._diagnostics: list[Diagnostic] = []
        self._jobs: list[dict[str, Any]] = []

    # -- diagnostics ---------------------------------------------------------------

    def diagnostics(self, items: Iterable[Diagnostic]) -> None:
        for diagnostic in items:
            if self.verbosity < 0 and diagnostic.severity is not Severity.ERROR:
                continue
            if self.format is OutputFormat.JSON:
                self._diagnostics.append(diagnostic)
            elif self.format is OutputFormat.GITHUB:
                click.echo(github_annotation(diagnostic))
            else:
                click.echo(self._styled(diagnostic), err=True, color=self._color_err)

    def note(self, message: str, *, level: int = 0) -> None:
        """A ``wiregen: ...`` line on stderr, shown from verbosity ``level`` up."""
        if self.verbosity >= level and self.format is not OutputFormat.JSON:
            click.echo(f"wiregen: {message}", err=True)

    # -- jobs ----------------------------------------------------------------------

    def job(self, outcome: Outcome, *, list_changes: bool = False) -> None:
        """Report one job's result. ``list_changes``: name every file written or
        deleted (what the pre-commit hook needs, since git does not notice new files)."""
        self.diagnostics(outcome.diagnostics)
        if outcome.cached:
            self.note(f"{outcome.package}: nothing changed since the last run (cached)", level=1)
        elif outcome.cache_note:
            self.note(f"{outcome.package}: running ({outcome.cache_note})", level=1)
        findings = self._findings(outcome, list_changes)
        if self.format is OutputFormat.JSON:
            self._diagnostics.extend(findings)
            self._jobs.append(self._job_json(outcome))
            return
        if self.format is OutputFormat.GITHUB:
            for finding in findings:
                click.echo(github_annotation(finding))
        if outcome.status is Status.FAILED:
            return
        if outcome.status in (Status.STALE, Status.FRESH):
            self._check_summary(outcome)
        else:
            self._generate_summary(outcome, list_changes or self.verbosity > 0)

    def finish(self, exit_code: int) -> None:
        """Called once, last: the JSON document is written here."""
        if self.format is not OutputFormat.JSON:
            return
        document = {
            "wiregen": __version__,
            "command": self.command,
            "exit_code": exit_code,
            "diagnostics": [diagnostic_to_json(d) for d in self._diagnostics],
            "jobs": self._jobs,
        }
        click.echo(json.dumps(document, indent=2))

    def _generate_summary(self, outcome: Outcome, list_files: bool) -> None:
        listed = list_files and outcome.status is Status.CHANGED
        self.note(
            f"{outcome.package}: {len(outcome.written)} written, "
            f"{outcome.unchanged} unchanged, {len(outcome.deleted)} deleted",
            level=-1 if listed else 0,  # the file list needs its heading, even with -q
        )
        if not listed:
            return
        created = set(outcome.created)
        rows = [("created" if rel in created else "updated", rel) for rel in outcome.written]
        rows += [("deleted", rel) for rel in outcome.deleted]
        for verb, rel in rows:
            click.echo(f"  {verb}  {display_path(outcome.output / rel)}", err=True)

    def _check_summary(self, outcome: Outcome) -> None:
        if outcome.status is Status.FRESH:
            self.note(f"{outcome.package}: up to date")
            return
        if self.format is OutputFormat.GITHUB:
            click.echo(f"::group::wiregen: {outcome.package}: diff")
        click.echo(self._styled_diff(outcome.diff), nl=False, color=self._color_out)
        if self.format is OutputFormat.GITHUB:
            click.echo("::endgroup::")
        self.note(
            f"{outcome.package}: {display_path(outcome.output)} is stale; run `wiregen generate`",
            level=-1,
        )

    def _findings(self, outcome: Outcome, list_changes: bool) -> list[Diagnostic]:
        if self.format is OutputFormat.TEXT:
            return []  # the summary and the diff say it already
        if outcome.status is Status.STALE:
            return [
                error(
                    STALE_CODE,
                    "generated file is stale (out of date with its spec, or edited by hand)",
                    SourceSpan(file=display_path(outcome.output / rel)),
                    hint="run `wiregen generate` and commit the result",
                )
                for rel in outcome.stale
            ]
        if outcome.status is Status.CHANGED and list_changes:
            changed = [*outcome.written, *outcome.deleted]
            return [
                error(
                    CHANGED_CODE,
                    "generated file was out of date and has been regenerated",
                    SourceSpan(file=display_path(outcome.output / rel)),
                    hint="review and stage the regenerated files",
                )
                for rel in changed
            ]
        return []

    def _job_json(self, outcome: Outcome) -> dict[str, Any]:
        def shown(rels: Iterable[str]) -> list[str]:
            return [display_path(outcome.output / rel) for rel in rels]

        return {
            "package": outcome.package,
            "output": display_path(outcome.output),
            "status": outcome.status.value,
            "cached": outcome.cached,
            "files": len(outcome.files),
            "written": shown(outcome.written),
            "created": shown(outcome.created),
            "deleted": shown(outcome.deleted),
            "stale": shown(outcome.stale),
            "diff": outcome.diff,
        }

    # -- styling -------------------------------------------------------------------

    def _styled(self, diagnostic: Diagnostic) -> str:
        if not self._color_err:
            return diagnostic.format()
        colour = {Severity.ERROR: "red", Severity.WARNING: "yellow"}.get(
            diagnostic.severity, "cyan"
        )
        where = f"{diagnostic.span}: " if diagnostic.span else ""
        head = click.style(f"{diagnostic.severity}[{diagnostic.code}]", fg=colour, bold=True)
        text = f"{click.style(where, bold=True)}{head} {diagnostic.message}"
        if diagnostic.hint:
            text += "\n  " + click.style("hint:", fg="cyan") + f" {diagnostic.hint}"
        return text

    def _styled_diff(self, diff: str) -> str:
        if not self._color_out:
            return diff
        lines = []
        for line in diff.splitlines(keepends=True):
            if line.startswith(("+++", "---")):
                lines.append(click.style(line, bold=True))
            elif line.startswith("@@"):
                lines.append(click.style(line, fg="cyan"))
            elif line.startswith("+"):
                lines.append(click.style(line, fg="green"))
            elif line.startswith("-"):
                lines.append(click.style(line, fg="red"))
            else:
                lines.append(line)
        return "".join(lines)


_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def github_annotation(diagnostic: Diagnostic) -> str:
    """``::error file=…,line=…,col=…,title=WG…::message`` (a GitHub workflow command)."""
    properties = []
    span = diagnostic.span
    if span is not None:
        properties.append(f"file={_escape_property(span.file)}")
        if span.line:
            properties.append(f"line={span.line}")
            if span.col:
                properties.append(f"col={span.col}")
    properties.append(f"title={_escape_property(diagnostic.code)}")
    message = diagnostic.message
    if span is not None and not span.line and span.pointer:
        message += f" (at {span.pointer})"
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    return f"::{_LEVELS[diagnostic.severity]} {','.join(properties)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    # The escapes the Actions runner decodes; anything else would end the command
    # early (a newline) or be misread as a property separator.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
