"""``[tool.wiregen]`` in a ``pyproject.toml``: finding it, checking it, turning it into jobs.

The table is checked against ``schemas/config.schema.json`` (the same schema editors
can use), then a few rules a schema cannot express. Every problem becomes a WG601
diagnostic pointing at the TOML key, with line:col found by scanning the text:
tomllib keeps no positions, and a config file is small enough to scan.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import keyword
import os
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema_rs

from wiregen import __version__
from wiregen.diagnostics import Abort, Diagnostic, SourceSpan, error
from wiregen.pipeline import DEFAULT_TARGETS, GenerateRequest, Target
from wiregen.resources import schema_path

CONFIG_ERROR = "WG601"
SCHEMA_NAME = "config.schema.json"

KeyPath = tuple[str | int, ...]
"""A path below ``[tool.wiregen]``, e.g. ``("jobs", 0, "targets", 1)``."""

_PREFIX: KeyPath = ("tool", "wiregen")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_IMPORT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One spec -> one generated package, with every path absolute."""

    spec: Path
    more_specs: tuple[Path, ...] = ()
    """Further specs of the same job (the other .proto files of a package set)."""
    output: Path
    package: str
    targets: tuple[Target, ...] = DEFAULT_TARGETS
    allow_remote_refs: bool = False
    include: tuple[Path, ...] = ()
    """Import directories for .proto specs (``-I``)."""
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    spec_display: str | None = None
    """The spec as the user wrote it; what generated headers and messages show."""
    templates: Path | None = None
    """A directory of template overrides: a file at the same relative path as one of
    ours (``models/models.py.j2``) replaces it."""

    def to_request(self) -> GenerateRequest:
        options = self.options
        if self.templates is not None:
            # The pipeline reads overrides from options["templates"]; an explicit
            # `templates` wins over one written inside the free-form options table.
            options = MappingProxyType({**options, "templates": self.templates})
        return GenerateRequest(
            spec=self.spec,
            package=self.package,
            targets=self.targets,
            allow_remote_refs=self.allow_remote_refs,
            spec_display=self.spec_display,
            options=options,
            includes=self.include,
            specs=self.more_specs,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    path: Path
    """The pyproject.toml the jobs came from."""
    jobs: tuple[Job, ...]
    diff_against: str | None = None
    """``[tool.wiregen.diff] against``: the git revision ``wiregen diff`` compares with."""
    diff_fail_on: str = "breaking"
    """``[tool.wiregen.diff] fail-on``: ``breaking`` or ``warning``."""


def package_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the import name of a generated package, or None."""
    if not _IMPORT_NAME.fullmatch(name):
        return "is not a valid Python import name (dotted ASCII identifiers)"
    for part in name.split("."):
        if keyword.iskeyword(part):
            return f"uses the Python keyword {part!r}"
    return None


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` with a ``[tool.wiregen]`` table.

    Ones without the table are skipped, so a monorepo member without wiregen config
    does not hide the repository's own.
    """
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _mentions_wiregen(candidate):
            return candidate
    return None


def _mentions_wiregen(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "wiregen" not in text:  # the cheap answer for almost every pyproject
        return False
    try:
        tool = tomllib.loads(text).get("tool")
    except tomllib.TOMLDecodeError:
        # A broken file that seems to configure wiregen is the user's config: pick it
        # so load_config reports the syntax error instead of silently looking elsewhere.
        return "tool.wiregen" in text
    return isinstance(tool, dict) and "wiregen" in tool


def load_config(pyproject: Path) -> Config:
    """The jobs of ``pyproject``; raises Abort with WG601 diagnostics on any problem."""
    shown = _display(pyproject)
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Abort([error(CONFIG_ERROR, f"cannot read {shown}: {exc}")]) from exc
    table = _wiregen_table(text, shown)
    located = _Locator(text, shown)

    problems: list[Diagnostic] = []
    reported: set[KeyPath] = set()
    document = _jsonable(table, (), problems, reported, located)
    problems.extend(_schema_problems(document, reported, located))
    if problems:
        raise Abort(_ordered(problems))

    jobs = _jobs(table, pyproject.parent.absolute(), problems, located)
    if problems:
        raise Abort(_ordered(problems))
    diff = table.get("diff", {})
    return Config(
        path=pyproject,
        jobs=jobs,
        diff_against=diff.get("against"),
        diff_fail_on=diff.get("fail-on", "breaking"),
    )


def _wiregen_table(text: str, shown: str) -> dict[str, Any]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, col = _split_toml_error(str(exc))
        span = SourceSpan(file=shown, line=line, col=col)
        raise Abort([error(CONFIG_ERROR, f"invalid TOML: {message}", span=span)]) from exc
    tool = document.get("tool")
    table = tool.get("wiregen") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise Abort(
            [
                error(
                    CONFIG_ERROR,
                    f"{shown} has no [tool.wiregen] table",
                    span=SourceSpan(file=shown),
                    hint="add one [[tool.wiregen.jobs]] table per spec (spec, output, package)",
                )
            ]
        )
    return table


def _split_toml_error(message: str) -> tuple[str, int, int]:
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
    if found is None:
        return message, 0, 0
    return message[: found.start()], int(found.group(1)), int(found.group(2))


def _jsonable(
    value: object,
    path: KeyPath,
    problems: list[Diagnostic],
    reported: set[KeyPath],
    located: _Locator,
) -> object:
    """The table as JSON values for the schema validator, which knows no TOML dates.

    A date where wiregen expects a path or a flag is reported here, once; inside the
    free-form ``options`` it is just a value and passes as text.
    """
    if isinstance(value, dict):
        return {k: _jsonable(v, (*path, k), problems, reported, located) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v, (*path, i), problems, reported, located) for i, v in enumerate(value)]
    if isinstance(value, datetime.date | datetime.time):
        if "options" not in path:
            problems.append(located.problem(path, "a TOML date or time is not allowed here"))
            reported.add(path)
        return value.isoformat()
    return value


@functools.cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_path(SCHEMA_NAME).read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator() -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(_schema())


def _known_keys(path: KeyPath) -> list[str]:
    schema = _schema()
    properties = schema["properties"] if not path else schema["$defs"]["job"]["properties"]
    return sorted(properties)


def _schema_problems(
    document: object, reported: set[KeyPath], located: _Locator
) -> Iterator[Diagnostic]:
    for problem in _validator().iter_errors(document):
        path: KeyPath = tuple(problem.instance_path)
        if path in reported:
            continue
        kind = problem.kind
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            known = _known_keys(path)
            for key in kind.unexpected:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "known keys: " + ", ".join(known)
                yield located.problem((*path, key), f"unknown key {key!r}", hint=hint)
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
            yield located.problem(path, f"missing required key {kind.property!r}")
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Pattern) and path[-1:] == (
            "package",
        ):
            yield located.problem(path, f"{problem.instance!r} is not a valid Python import name")
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Enum):
            # The validator abbreviates long lists ("or 4 other candidates"); name them all.
            options = ", ".join(str(option) for option in kind.options)
            yield located.problem(path, f"{problem.instance!r} is not one of: {options}")
        else:
            yield located.problem(path, problem.message)


def _jobs(
    table: Mapping[str, Any], root: Path, problems: list[Diagnostic], located: _Locator
) -> tuple[Job, ...]:
    """Jobs from a schema-valid table, plus the rules the schema cannot state."""
    default_remote = bool(table.get("allow-remote-refs", False))
    default_templates = table.get("templates")
    jobs: list[Job] = []
    outputs: dict[str, int] = {}
    for index, raw in enumerate(table["jobs"]):
        here: KeyPath = ("jobs", index)
        problem = package_name_problem(raw["package"])
        if problem:
            problems.append(located.problem((*here, "package"), f"{raw['package']!r} {problem}"))
        targets = _targets(raw.get("targets"), here, problems, located)
        output = root / raw["output"]
        # Two jobs sharing an output directory would share one manifest, and each run
        # would delete the other job's files as stale.
        key = os.path.normcase(os.path.abspath(output))
        if key in outputs:
            problems.append(
                located.problem(
                    (*here, "output"),
                    f"output directory is the same as that of jobs[{outputs[key]}]",
                    hint="give every job its own output directory",
                )
            )
        outputs.setdefault(key, index)
        jobs.append(
            Job(
                spec=root / raw["spec"],
                spec_display=_spec_display(raw["spec"], root),
                output=output,
                package=raw["package"],
                targets=targets,
                allow_remote_refs=bool(raw.get("allow-remote-refs", default_remote)),
                include=tuple(root / entry for entry in raw.get("include", ())),
                options=_frozen_table(raw.get("options", {})),
                templates=_templates(raw.get("templates", default_templates), root),
            )
        )
    return tuple(jobs)


def _templates(value: str | None, root: Path) -> Path | None:
    # Relative to the pyproject.toml like every other path here, not to the working
    # directory, so `wiregen generate` means the same from any subdirectory.
    return None if value is None else root / value


def _targets(
    raw: Sequence[str] | None, here: KeyPath, problems: list[Diagnostic], located: _Locator
) -> tuple[Target, ...]:
    if raw is None:
        return DEFAULT_TARGETS
    targets: list[Target] = []
    for position, name in enumerate(raw):
        try:
            targets.append(Target(name))
        except ValueError:
            # The schema already names future targets so configs need not change later.
            problems.append(
                located.problem(
                    (*here, "targets", position),
                    f"target {name!r} is not available in wiregen {__version__} yet",
                )
            )
    return tuple(targets)


def _spec_display(value: str, root: Path) -> str:
    """How the spec is named in generated headers: never an absolute path, which
    would make output differ from machine to machine."""
    path = Path(value)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _frozen_table(value: Mapping[str, Any]) -> Mapping[str, object]:
    return MappingProxyType({key: _frozen(item) for key, item in value.items()})


def _frozen(value: object) -> object:
    # Config is frozen all the way down, so a job can be shared without copying.
    if isinstance(value, dict):
        return _frozen_table(value)
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _ordered(problems: list[Diagnostic]) -> list[Diagnostic]:
    def key(problem: Diagnostic) -> tuple[int, int, str]:
        span = problem.span
        return (span.line, span.col, problem.message) if span else (0, 0, problem.message)

    return sorted(problems, key=key)


def key_path_text(path: KeyPath) -> str:
    """``tool.wiregen.jobs[0].targets[1]``: the key as a TOML user would name it."""
    text = ""
    for part in (*_PREFIX, *path):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else json.dumps(part)
            text += f".{name}" if text else name
    return text


@dataclass(frozen=True, slots=True)
class _Header:
    line: int  # 0-based
    col: int  # 0-based
    name: str  # dotted, whitespace and quotes removed
    array: bool


_HEADER_RE = re.compile(r"^(\s*)(\[\[?)([^\[\]]*)\]")


class _Locator:
    """Best-effort line:col of a key, by scanning the TOML text.

    It understands ``[tool.wiregen]``, ``[[tool.wiregen.jobs]]`` and ``key = ...`` lines,
    which is how nearly everyone writes this table; for anything fancier (inline
    tables, dotted keys) it falls back to the nearest header it found, or to none.
    """

    def __init__(self, text: str, shown: str) -> None:
        self._lines = text.split("\n")
        self._shown = shown
        self._headers = [
            h for h in (self._header(i, line) for i, line in enumerate(self._lines)) if h
        ]

    @staticmethod
    def _header(index: int, line: str) -> _Header | None:
        found = _HEADER_RE.match(line)
        if found is None:
            return None
        name = re.sub(r"[\s\"']", "", found.group(3))
        return _Header(index, len(found.group(1)), name, found.group(2) == "[[")

    def problem(self, path: KeyPath, message: str, hint: str | None = None) -> Diagnostic:
        line, col = self.locate(path)
        pointer = "".join(
            "/" + str(p).replace("~", "~0").replace("/", "~1") for p in (*_PREFIX, *path)
        )
        span = SourceSpan(file=self._shown, pointer=pointer, line=line, col=col)
        return error(CONFIG_ERROR, f"{key_path_text(path)}: {message}", span=span, hint=hint)

    def locate(self, path: KeyPath) -> tuple[int, int]:
        """1-based (line, col) of the key at ``path``, or (0, 0) when not found."""
        if len(path) >= 2 and path[0] == "jobs" and isinstance(path[1], int):
            jobs = [h for h in self._headers if h.array and h.name == "tool.wiregen.jobs"]
            if path[1] < len(jobs):
                start = jobs[path[1]]
                end = self._block_end(start, "tool.wiregen.jobs.")
                found = self._key(start, end, path[2]) if len(path) > 2 else None
                return found or (start.line + 1, start.col + 1)
            path = ("jobs",)  # jobs written as an inline array: point at `jobs =`
        tables = [h for h in self._headers if not h.array and h.name == "tool.wiregen"]
        if not tables:
            return (0, 0)
        start = tables[0]
        found = self._key(start, self._block_end(start, None), path[0]) if path else None
        return found or (start.line + 1, start.col + 1)

    def _block_end(self, start: _Header, subtables: str | None) -> int:
        for header in self._headers:
            if header.line <= start.line:
                continue
            if subtables is None or not header.name.startswith(subtables):
                return header.line
        return len(self._lines)

    def _key(self, start: _Header, end: int, key: str | int) -> tuple[int, int] | None:
        if isinstance(key, int):
            return None
        quoted = "|".join(re.escape(k) for k in (key, f'"{key}"', f"'{key}'"))
        pattern = re.compile(rf"^(\s*)(?:{quoted})\s*[=.]")
        for index in range(start.line + 1, end):
            found = pattern.match(self._lines[index])
            if found:
                return (index + 1, len(found.group(1)) + 1)
        # `[tool.wiregen.jobs.options]` defines a key of the job as a sub-table.
        for header in self._headers:
            if start.line < header.line < end and header.name == f"{start.name}.{key}":
                return (header.line + 1, header.col + 1)
        return None
