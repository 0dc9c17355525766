"""View model of ``models.py``: one class per named type, in a safe definition order."""

from __future__ import annotations

from dataclasses import dataclass

from wiregen.ir import model as ir
from wiregen.render.escape import docstring_lines, literal
from wiregen.render.imports import import_block, sort_all
from wiregen.render.types import IMPORT_OF_PREFIX, TypeRenderer


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    annotation: str
    assignment: str
    """`` = ...`` or empty for a required field without options."""
    doc_lines: list[str]


@dataclass(frozen=True, slots=True)
class MemberView:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class ClassView:
    kind: str
    """``object``, ``enum`` or ``root``."""
    name: str
    bases: str
    doc_lines: list[str]
    fields: list[FieldView]
    members: list[MemberView]
    config: str
    """A ``model_config = ...`` line, or empty."""
    extra: str
    """Annotation of ``__pydantic_extra__``, or empty."""
    root: str
    """Annotation of ``root`` for a recursive root model, or empty."""


@dataclass(frozen=True, slots=True)
class ModelsModule:
    imports: list[str]
    classes: list[ClassView]
    all_names: list[str]


def build(api: ir.Api) -> ModelsModule:
    definitions = {d.id: d for d in api.types}
    renderer = TypeRenderer(definitions)
    enums = [d for d in api.types if isinstance(d, ir.EnumDef)]
    objects = _bases_first([d for d in api.types if isinstance(d, ir.ObjectDef)], definitions)
    aliases = [d for d in api.types if isinstance(d, ir.AliasDef)]
    classes = [_enum(d) for d in enums]
    classes += [_object(d, renderer, definitions) for d in objects]
    classes += [_root(d, renderer) for d in aliases]
    if any(c.config or c.extra or c.kind == "root" or any("_pd." in f.assignment for f in c.fields) for c in classes):
        renderer.used.add("_pd.")
    imports = _imports(renderer.used, enums=bool(enums), objects=bool(objects))
    return ModelsModule(imports=imports, classes=classes, all_names=sort_all(c.name for c in classes))


def _imports(used: set[str], *, enums: bool, objects: bool) -> list[str]:
    lines = {IMPORT_OF_PREFIX[p] for p in IMPORT_OF_PREFIX if p in used}
    if enums:
        lines.add("import enum as _enum")
    if "Binary" in used:
        lines.add("from ._runtime.files import Binary")
    if "Base64Data" in used:
        lines.add("from ._runtime.encoded import Base64Data")
    if objects:
        lines.add("from ._runtime.model import WireModel")
    return import_block(lines)


def _bases_first(objects: list[ir.ObjectDef], definitions: dict[str, ir.TypeDef]) -> list[ir.ObjectDef]:
    """Keep spec order, but a base class must be defined before its subclasses."""
    ordered: list[ir.ObjectDef] = []
    placed: set[str] = set()

    def place(definition: ir.ObjectDef, trail: frozenset[str]) -> None:
        if definition.id in placed or definition.id in trail:
            return
        for base in definition.bases:
            parent = definitions.get(base)
            if isinstance(parent, ir.ObjectDef):
                place(parent, trail | {definition.id})
        placed.add(definition.id)
        ordered.append(definition)

    for definition in objects:
        place(definition, frozenset())
    return ordered


def _doc(text: str, deprecated: bool) -> list[str]:
    lines = docstring_lines(text)
    if deprecated:
        lines = [*lines, "", "Deprecated."] if lines else ["Deprecated."]
    return lines


def _enum(definition: ir.EnumDef) -> ClassView:
    base = "_enum.StrEnum" if definition.base is ir.PrimitiveKind.STRING else "_enum.IntEnum"
    return ClassView(
        kind="enum",
        name=definition.py_name,
        bases=base,
        doc_lines=_doc(definition.doc, definition.deprecated),
        fields=[],
        members=[MemberView(name=m.py_name, value=literal(m.value)) for m in definition.members],
        config="",
        extra="",
        root="",
    )


def _object(definition: ir.ObjectDef, renderer: TypeRenderer, definitions: dict[str, ir.TypeDef]) -> ClassView:
    bases = [definitions[b].py_name for b in definition.bases if b in definitions]
    config = 'model_config = _pd.ConfigDict(extra="forbid")' if definition.extra is ir.ExtraPolicy.FORBID else ""
    extra = ""
    if definition.extra_values is not None and definition.extra is ir.ExtraPolicy.ALLOW:
        extra = f"dict[str, {renderer.render(definition.extra_values)}]"
    return ClassView(
        kind="object",
        name=definition.py_name,
        bases=", ".join(bases) or "WireModel",
        doc_lines=_doc(definition.doc, definition.deprecated),
        fields=[_field(f, renderer, definitions) for f in definition.fields],
        members=[],
        config=config,
        extra=extra,
        root="",
    )


def _field(f: ir.Field, renderer: TypeRenderer, definitions: dict[str, ir.TypeDef]) -> FieldView:
    annotation = renderer.render(f.type)
    options: list[str] = []
    if f.py_name != f.name:
        alias = literal(f.name)
        options += [f"validation_alias={alias}", f"serialization_alias={alias}"]
    if f.deprecated:
        options.append(f"deprecated={literal(f'{f.name} is deprecated')}")
    default: str | None = None
    if not f.required:
        if f.default is not None:
            default = _default(f.default.value, f.type, definitions, renderer)
        else:
            default = "None"
            if not _accepts_none(annotation):
                annotation += " | None"
    plain = default is None or default == "None" or (_default_matches(f.default, f.type, definitions) and "(" not in default)
    if options or not plain:
        if default is not None:
            options.insert(0, f"default={default}")
        assignment = f" = _pd.Field({', '.join(options)})"
    elif default is not None:
        assignment = f" = {default}"
    else:
        assignment = ""
    doc = f.doc
    if f.read_only or f.write_only:
        direction = "Read-only: sent by the server only." if f.read_only else "Write-only: sent by the client only."
        doc = f"{doc}\n\n{direction}" if doc else direction
    return FieldView(name=f.py_name, annotation=annotation, assignment=assignment, doc_lines=_doc(doc, f.deprecated))


def _default_matches(default: ir.Default | None, expr: ir.TypeExpr, definitions: dict[str, ir.TypeDef]) -> bool:
    """Whether ``name: T = <default>`` type-checks as written (else it goes into Field())."""
    if default is None:
        return True
    value = default.value
    candidates = expr.variants if isinstance(expr, ir.Union) else (expr,)
    for expr in candidates:
        if isinstance(expr, ir.Ref):
            target = definitions.get(expr.target)
            if isinstance(target, ir.EnumDef) and any(m.value == value for m in target.members):
                return True  # written as the member
            if isinstance(target, ir.AliasDef) and _default_matches(default, target.target, definitions):
                return True
            continue
        if isinstance(expr, ir.Literal) and expr.value == value and type(expr.value) is type(value):
            return True
        if isinstance(expr, ir.Primitive) and expr.format not in ("date-time", "date", "time", "uuid", "decimal", "binary", "byte"):
            if expr.kind is ir.PrimitiveKind.STRING and isinstance(value, str):
                return True
            if expr.kind is ir.PrimitiveKind.BOOLEAN and isinstance(value, bool):
                return True
            if expr.kind is ir.PrimitiveKind.INTEGER and isinstance(value, int) and not isinstance(value, bool):
                return True
            if expr.kind is ir.PrimitiveKind.NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
                return True
    return False


def _accepts_none(annotation: str) -> bool:
    return annotation in ("None", "_t.Any") or annotation.endswith(" | None")


_CONSTRUCTORS = {
    "date-time": "_dt.datetime.fromisoformat",
    "date": "_dt.date.fromisoformat",
    "time": "_dt.time.fromisoformat",
    "uuid": "_uuid.UUID",
    "decimal": "_decimal.Decimal",
}


def _default(value: object, expr: ir.TypeExpr, definitions: dict[str, ir.TypeDef], renderer: TypeRenderer) -> str:
    """A default as a Python value of the field's type (the defaults pass made sure it fits)."""
    candidates = expr.variants if isinstance(expr, ir.Union) else (expr,)
    for candidate in candidates:
        constructed = _constructed(value, candidate, renderer)
        if constructed is not None:
            return constructed
    for candidate in candidates:
        if isinstance(candidate, ir.Literal) and candidate.value == value:
            return renderer.literal_value(candidate)
        if isinstance(candidate, ir.Ref):
            definition = definitions.get(candidate.target)
            if isinstance(definition, ir.EnumDef):
                for member in definition.members:
                    if member.value == value and type(member.value) is type(value):
                        return f"{renderer.class_name(definition.id)}.{member.py_name}"
    return literal(value)


def _constructed(value: object, expr: ir.TypeExpr, renderer: TypeRenderer) -> str | None:
    """``_dt.date.fromisoformat("...")``, ``_decimal.Decimal(0)``…: a default of a format
    with its own Python type, or None when ``expr`` is not such a format."""
    if not isinstance(expr, ir.Primitive) or expr.format not in _CONSTRUCTORS or isinstance(value, bool):
        return None
    if not (isinstance(value, str) or (expr.format == "decimal" and isinstance(value, int | float))):
        return None
    constructor = _CONSTRUCTORS[expr.format]
    renderer.used.add(constructor[: constructor.index(".") + 1])
    text = str(value)
    # Decimal(0) rather than Decimal("0"): an integral value needs no string (ruff FURB157).
    argument = text if expr.format == "decimal" and text.lstrip("-").isdigit() else literal(text)
    return f"{constructor}({argument})"


def _root(definition: ir.AliasDef, renderer: TypeRenderer) -> ClassView:
    # `root` is declared, not passed as RootModel's generic argument: a parametrised
    # RootModel is built at once with pydantic's default settings (ignoring our
    # regex engine and defer_build), and a recursive alias cannot name itself there.
    annotation = renderer.render(ir.Ref(target=definition.id))
    renderer.used.add("_t.")
    return ClassView(
        kind="root",
        name=definition.py_name,
        bases="_pd.RootModel[_t.Any]",
        doc_lines=_doc(definition.doc, definition.deprecated),
        fields=[],
        members=[],
        config='model_config = _pd.ConfigDict(defer_build=True, regex_engine="python-re")',
        extra="",
        root=annotation,
    )
