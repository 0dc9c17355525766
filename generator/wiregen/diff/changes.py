"""A change between two revisions, and the collector the comparers report into."""

from __future__ import annotations

from dataclasses import dataclass

from wiregen.diagnostics import SourceSpan
from wiregen.diff.rules import RULES, Rule, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    rule: Rule
    message: str
    subject: str
    """What changed, as the user would name it (``GET /pets > query limit``, ``a.v1.Foo.bar``)."""
    old: SourceSpan | None = None
    """Where it was in the old revision (None for additions)."""
    new: SourceSpan | None = None
    """Where it is in the new revision (None for removals)."""
    path: str = ""
    """JSON pointer (OpenAPI, AsyncAPI) or protobuf full name of the element."""
    scope: str = ""
    """The versioned unit it belongs to: the proto package; empty for one-version specs."""

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def span(self) -> SourceSpan | None:
        """The location to point at: in the new revision when it still exists there."""
        return self.new or self.old


@dataclass(frozen=True, slots=True)
class Site:
    """Where a compared value lives, in both revisions."""

    subject: str
    old: SourceSpan | None
    new: SourceSpan | None
    scope: str = ""

    def at(self, subject: str, old: SourceSpan | None, new: SourceSpan | None) -> Site:
        return Site(subject, old, new, self.scope)


class Findings:
    """Collects changes; the comparers' only output."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def add(
        self,
        code: str,
        message: str,
        site: Site,
        *,
        old: bool = True,
        new: bool = True,
        path: str = "",
    ) -> None:
        """Report ``code`` at ``site``; ``old``/``new`` False drop that side's location."""
        old_span = site.old if old else None
        new_span = site.new if new else None
        shown = new_span or old_span
        pointer = path or (shown.pointer if shown is not None else "")
        self.changes.append(
            Change(
                rule=RULES[code],
                message=message,
                subject=site.subject,
                old=old_span,
                new=new_span,
                path=pointer,
                scope=site.scope,
            )
        )
