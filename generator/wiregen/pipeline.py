"""The pure core: ``generate(request) -> GenerateResult``.

Nothing here touches the output directory; only :mod:`wiregen.emit` writes. The CLI,
the pre-commit hook and the build hook are thin adapters around this function.
"""

from __future__ import annotations

import enum
import keyword
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from wiregen.diagnostics import Abort, Diagnostic, SourceSpan, error, has_errors
from wiregen.gcpause import paused_gc

if TYPE_CHECKING:
    from wiregen.ir.model import Api
    from wiregen.load import Document, Workspace


class Target(enum.StrEnum):
    MODELS = "models"
    HTTP_CLIENT = "http-client"
    HTTP_SERVER = "http-server"
    IR = "ir"
    GRPC = "grpc"
    MESSAGING = "messaging"


DEFAULT_TARGETS: tuple[Target, ...] = (Target.MODELS, Target.HTTP_CLIENT, Target.HTTP_SERVER)


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerateRequest:
    spec: Path
    """The spec file to read."""
    package: str
    """Import name of the generated package (a dotted name is allowed)."""
    targets: tuple[Target, ...] = DEFAULT_TARGETS
    allow_remote_refs: bool = False
    spec_display: str | None = None
    """How the spec is named in headers and messages (defaults to the path as given)."""
    options: Mapping[str, object] = field(default_factory=dict)
    includes: tuple[Path, ...] = ()
    """Import directories for ``.proto`` specs (``-I``); a spec's own root is found without."""
    specs: tuple[Path, ...] = ()
    """Further ``.proto`` files compiled together with ``spec`` into one package."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerateResult:
    files: Mapping[str, str]
    """Output-relative POSIX path -> file text. Empty when there were errors."""
    diagnostics: tuple[Diagnostic, ...]
    inputs: tuple[Path, ...] = ()
    """Every file that was read (the spec and what its ``$ref`` reached)."""

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def generate(request: GenerateRequest) -> GenerateResult:
    """Load, validate, convert, transform and render one spec. Writes nothing."""
    # The spec tree, the IR and the rendered text are acyclic and live until the end
    # of the run: cyclic GC passes over them find nothing and cost a third of the time.
    with paused_gc():
        return _generate(request)


def _generate(request: GenerateRequest) -> GenerateResult:
    if request.spec.suffix == ".proto":
        return _generate_proto(request)
    try:
        _check_package_name(request.package)
    except Abort as abort:
        return GenerateResult(files={}, diagnostics=abort.diagnostics)
    reading = read_api(request.spec, allow_remote_refs=request.allow_remote_refs, options=request.options)
    diagnostics = list(reading.diagnostics)
    files: dict[str, str] = {}
    if reading.api is not None and request.targets:
        from wiregen.render.package import render_package

        try:
            files = render_package(
                reading.api,
                package=request.package,
                targets=[t.value for t in request.targets],
                spec_display=request.spec_display or reading.display,
                template_dirs=_template_dirs(request.options),
            )
        except Abort as abort:
            locate = reading.workspace.locate
            diagnostics.extend(replace(d, span=locate(d.span)) if d.span else d for d in abort.diagnostics)
    return GenerateResult(
        files={} if has_errors(diagnostics) else files,
        diagnostics=tuple(diagnostics),
        inputs=tuple(d.path for d in reading.workspace.documents),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiReading:
    """A spec read as far as the named IR (no targets rendered)."""

    api: Api | None
    """None when there were errors."""
    diagnostics: tuple[Diagnostic, ...]
    workspace: Workspace
    """The documents read; ``workspace.locate_all`` turns IR spans into positions."""
    display: str
    """How the spec file is shown (empty when it could not be read)."""


def read_api(
    spec: Path, *, allow_remote_refs: bool = False, options: Mapping[str, object] | None = None,
    display_base: Path | None = None,
) -> ApiReading:
    """Load, validate and convert one OpenAPI or AsyncAPI spec into the named IR.

    The front half of :func:`generate`, and what ``wiregen diff`` compares. IR spans
    keep their JSON pointers; positions are recovered on demand
    (``ApiReading.workspace.locate_all``) for the few that are shown; the diagnostics
    come located.
    """
    from wiregen.load import Workspace

    workspace = Workspace(
        ref_root(spec, options or {}),
        allow_remote_refs=allow_remote_refs,
        display_base=display_base or Path.cwd(),
    )
    diagnostics: list[Diagnostic] = []
    api = None
    display = ""
    with paused_gc():
        try:
            document = workspace.load(spec)
            display = document.display
            api = _frontend(document, workspace, diagnostics)
        except Abort as abort:
            diagnostics.extend(abort.diagnostics)
    located = [replace(d, span=workspace.locate(d.span)) if d.span else d for d in diagnostics]
    return ApiReading(
        api=None if has_errors(located) else api,
        diagnostics=tuple(located),
        workspace=workspace,
        display=display,
    )


_PROTO_TARGETS = frozenset({Target.GRPC, Target.IR})


def _generate_proto(request: GenerateRequest) -> GenerateResult:
    """``.proto`` files: protoc (in-process; for large inputs its Python generator in a
    child process meanwhile) -> IR -> the ``grpc`` (and ``ir``) target."""
    from wiregen.frontends import proto, protoc

    specs = (request.spec, *(s for s in request.specs if s != request.spec))
    targets = request.targets
    if targets == DEFAULT_TARGETS:
        targets = (Target.GRPC,)
    try:
        _check_package_name(request.package)
    except Abort as abort:
        return GenerateResult(files={}, diagnostics=abort.diagnostics, inputs=specs)
    unsupported = [t.value for t in targets if t not in _PROTO_TARGETS]
    if unsupported:
        message = f"target(s) {', '.join(unsupported)} cannot be generated from .proto files"
        return GenerateResult(
            files={},
            diagnostics=(error("WG406", message, SourceSpan(file=str(request.spec)), "use --target grpc (and/or ir)"),),
            inputs=specs,
        )
    missing = [s for s in specs if not s.is_file()]
    if missing:
        found = tuple(error("WG402", "file not found", SourceSpan(file=str(s))) for s in missing)
        return GenerateResult(files={}, diagnostics=found, inputs=specs)
    # For a large API, protoc's Python generator runs in a child process meanwhile.
    job = protoc.PythonJob.start(specs, request.includes, display_base=Path.cwd()) if Target.GRPC in targets else None
    try:
        result = proto.build(specs, request.includes, display_base=Path.cwd(), python=job is None)
        diagnostics = list(result.diagnostics)
        files: dict[str, str] = {}
        if result.api is not None and not has_errors(diagnostics) and targets:
            from wiregen.render.grpc import proto_files
            from wiregen.render.package import render_package

            python: Mapping[str, str] = result.python
            if job is not None:
                python = protoc.PendingModules(job, [f.name for f in proto_files(result.api)])
            files = render_package(
                result.api,
                package=request.package,
                targets=[t.value for t in targets],
                spec_display=request.spec_display or result.api.span.file,
                template_dirs=_template_dirs(request.options),
                python_sources=python,
            )
            if isinstance(python, protoc.PendingModules):
                diagnostics.extend(python.diagnostics())
    finally:
        if job is not None:
            job.cancel()
    return GenerateResult(
        files={} if has_errors(diagnostics) else files,
        diagnostics=tuple(diagnostics),
        inputs=result.inputs,
    )


def _frontend(document: Document, workspace: Workspace, diagnostics: list[Diagnostic]) -> Api | None:
    """Pick the frontend by the document's own version field; validate before converting."""
    from wiregen.frontends import openapi
    from wiregen.passes import defaults, discriminators, naming, patterns
    from wiregen.validate import validate_openapi

    data = document.data
    span = SourceSpan(file=document.display)
    if isinstance(data, dict) and "asyncapi" in data and "openapi" not in data:
        return _asyncapi_frontend(document, workspace, diagnostics)
    if not isinstance(data, dict) or "openapi" not in data:
        hint = None
        if isinstance(data, dict) and "swagger" in data:
            hint = "Swagger 2.0 documents must be converted to OpenAPI 3 first"
        diagnostics.append(error("WG202", "not an OpenAPI 3 document: there is no `openapi` field", span, hint))
        return None
    diagnostics.extend(validate_openapi(document, workspace))
    if has_errors(diagnostics):
        return None
    api, found = openapi.build_api(document, workspace)
    diagnostics.extend(found)
    api = discriminators.apply(api)
    api, found = patterns.apply(api)
    diagnostics.extend(found)
    api, found = defaults.apply(api)
    diagnostics.extend(found)
    return naming.name_api(api)


def _asyncapi_frontend(document: Document, workspace: Workspace, diagnostics: list[Diagnostic]) -> Api | None:
    """AsyncAPI 2.6 / 3.0: the official schema first, then channels and operations."""
    from wiregen.frontends import asyncapi
    from wiregen.passes import defaults, discriminators, naming, patterns
    from wiregen.validate.asyncapi import asyncapi_version, validate_asyncapi

    diagnostics.extend(validate_asyncapi(document))
    version, _ = asyncapi_version(document)
    if has_errors(diagnostics) or version is None:
        return None
    api, found = asyncapi.build_api(document, workspace, version)
    diagnostics.extend(found)
    api = discriminators.apply(api)
    api, found = patterns.apply(api)
    diagnostics.extend(found)
    api, found = defaults.apply(api)
    diagnostics.extend(found)
    return asyncapi.name_messaging(naming.name_api(api))


def _check_package_name(package: str) -> None:
    parts = package.split(".")
    if not all(p.isidentifier() and p.isascii() and not keyword.iskeyword(p) for p in parts):
        raise Abort(
            [
                error(
                    "WG604",
                    f"invalid package name {package!r}",
                    hint="use a dotted Python import name such as `petstore_client` or `acme.petstore`",
                )
            ]
        )


def ref_root(spec: Path, options: Mapping[str, object]) -> Path:
    """Where local `$ref`s may reach: the spec's project (nearest VCS or pyproject root)."""
    configured = options.get("ref_root")
    if isinstance(configured, str | Path):
        return Path(configured).resolve()
    start = spec.resolve().parent
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists() or (candidate / "pyproject.toml").exists():
            return candidate
    return start


def _template_dirs(options: Mapping[str, object]) -> tuple[Path, ...]:
    value = options.get("templates")
    return (Path(value),) if isinstance(value, str | Path) else ()
