"""The semver gate: did the version move as far as the changes require?

OpenAPI and AsyncAPI carry one version (``info.version``): a breaking change needs
a new major version (a new minor one below 1.0.0, where semver lets anything
change), an addition or deprecation a new minor one. A proto package carries its
major version in its name (``a.b.v1``) and cannot bump it in place: a breaking
change inside a stable package always fails; inside an alpha or beta package
(``v1beta2``) it only warns, as those promise no stability.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from wiregen.diff.changes import Change, Findings, Site
from wiregen.diff.rules import Kind, Severity

_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?$")
_DATE = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?")
_PROTO_MAJOR = re.compile(r"^v(\d+)((?:p\d+)?(?:alpha|beta)\d*)?$")


class Bump(enum.IntEnum):
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version | None:
        found = _SEMVER.match(text.strip())
        if found is None or _DATE.match(text.strip()):  # 2020-08-27 is a date, not 2020.0.0-08-27
            return None
        major, minor, patch = (int(part) if part else 0 for part in found.groups())
        return cls(major, minor, patch)

    def bumped(self, bump: Bump) -> Version:
        if bump is Bump.MAJOR:
            return Version(self.major + 1, 0, 0)
        if bump is Bump.MINOR:
            return Version(self.major, self.minor + 1, 0)
        if bump is Bump.PATCH:
            return Version(self.major, self.minor, self.patch + 1)
        return self

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def required_bump(changes: Sequence[Change]) -> Bump:
    """The smallest bump that covers every change."""
    bump = Bump.NONE
    for change in changes:
        if change.rule.kind is Kind.VERSION:
            continue
        if change.severity is Severity.BREAKING:
            return Bump.MAJOR
        if change.rule.kind in (Kind.ADDITION, Kind.DEPRECATION):
            bump = max(bump, Bump.MINOR)
        else:
            bump = max(bump, Bump.PATCH)
    return bump


def actual_bump(old: Version, new: Version) -> Bump | None:
    """How far the version moved; None when it went backwards."""
    if (new.major, new.minor, new.patch) < (old.major, old.minor, old.patch):
        return None
    if new.major != old.major:
        return Bump.MAJOR
    if new.minor != old.minor:
        return Bump.MINOR
    if new.patch != old.patch:
        return Bump.PATCH
    return Bump.NONE


@dataclass(frozen=True, slots=True)
class Verdict:
    required: Bump
    expected: str
    """The version the new revision should at least have; empty when unknown."""


def gate_version(
    old_text: str, new_text: str, changes: Sequence[Change], site: Site, findings: Findings
) -> Verdict:
    """Check ``info.version`` against ``changes``; report into ``findings``."""
    required = required_bump(changes)
    old, new = Version.parse(old_text), Version.parse(new_text)
    if old is None or new is None:
        if required is not Bump.NONE:
            bad = old_text if old is None else new_text
            findings.add(
                "D705", f"version {bad!r} is not a semantic version; cannot check the {required.label} bump "
                "these changes need", site,
            )
        return Verdict(required, "")
    # Below 1.0.0 anything may change: a breaking change needs only a minor bump.
    needed = Bump.MINOR if required is Bump.MAJOR and old.major == 0 else required
    expected = old.bumped(needed)
    moved = actual_bump(old, new)
    if moved is None:
        findings.add("D707", f"version went backwards from {old_text} to {new_text}", site)
    elif needed >= Bump.MINOR and moved < needed:
        code = "D703" if required is Bump.MAJOR else "D704"
        what = "breaking changes" if required is Bump.MAJOR else "additions"
        findings.add(
            code,
            f"{what} need a {needed.label} version bump: expected {expected} or later, found {new_text} "
            f"(was {old_text})",
            site,
        )
    return Verdict(required, str(expected))


def gate_packages(changes: Sequence[Change], findings: Findings) -> Verdict:
    """Proto: breaking changes inside a package whose name keeps its major version."""
    breaking: dict[str, list[Change]] = {}
    for change in changes:
        if change.severity is Severity.BREAKING and change.rule.kind is not Kind.VERSION:
            breaking.setdefault(change.scope, []).append(change)
    for package, found in sorted(breaking.items()):
        last = package.rsplit(".", 1)[-1]
        version = _PROTO_MAJOR.match(last)
        first = found[0]
        site = Site(package or "(no package)", first.old, first.new, package)
        count = f"{len(found)} breaking change{'s need' if len(found) > 1 else ' needs'}"
        if version is not None and version.group(2):
            findings.add("D706", f"package {package}: {count} in an unstable ({last}) package", site, path=package)
        elif version is not None:
            successor = f"{package.rsplit('.', 1)[0]}.v{int(version.group(1)) + 1}" if "." in package else f"v{int(version.group(1)) + 1}"
            findings.add(
                "D703", f"package {package}: {count} a new major version (a new package {successor})",
                site, path=package,
            )
        else:
            findings.add(
                "D703", f"package {package or '(none)'}: {count} in an unversioned package (name it …v1, …v2)",
                site, path=package,
            )
    required = required_bump(changes)
    return Verdict(required, "")
