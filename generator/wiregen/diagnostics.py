"""Diagnostics are values: every stage reports problems by returning them, never by raising.

Exceptions are kept for bugs in wiregen itself. A stage that cannot go on after an
error raises :class:`Abort` carrying the diagnostics collected so far; adapters
(CLI, hooks) turn it into output and an exit code.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSpan:
    """Where a node came from.

    ``pointer`` is the RFC 6901 JSON pointer of the node inside ``file`` (a path as
    the user gave it, relative where possible). ``line`` and ``col`` are 1-based and
    0 when not (yet) known: loading keeps only the tree, and positions are recovered
    on demand (see :mod:`wiregen.load.locate`) because few nodes ever need one.
    """

    file: str
    pointer: str = ""
    line: int = 0
    col: int = 0

    def child(self, *tokens: str | int) -> SourceSpan:
        """The span of a node below this one (positions are recovered later)."""
        pointer = self.pointer
        for token in tokens:
            pointer += "/" + str(token).replace("~", "~0").replace("/", "~1")
        return SourceSpan(file=self.file, pointer=pointer)

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return f"{self.file}#{self.pointer}" if self.pointer else self.file


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    span: SourceSpan | None = None
    hint: str | None = None

    def format(self) -> str:
        """``file:line:col: error[CODE] message`` plus an indented hint line."""
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.severity}[{self.code}] {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def error(code: str, message: str, span: SourceSpan | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, span=span, hint=hint)


def warning(code: str, message: str, span: SourceSpan | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity=Severity.WARNING, code=code, message=message, span=span, hint=hint)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


class Abort(Exception):
    """Raised by a stage that cannot continue; carries what was found so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))
