"""IR type expressions -> Python annotation source.

Named aliases (arrays, maps, unions, primitives with a name) are written out where
they are used, so fields have natural types (``list[Pet]``, ``Cat | Dog``); only a
recursive alias falls back to its ``RootModel`` class. Class names are prefixed with
the module alias the caller asks for (``""`` inside models.py, ``"_models."`` outside).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wiregen.ir import model as ir
from wiregen.render.escape import literal

_FORMATS = {
    "date-time": "_dt.datetime",
    "date": "_dt.date",
    "time": "_dt.time",
    "uuid": "_uuid.UUID",
    "decimal": "_decimal.Decimal",
    "binary": "Binary",
    "byte": "Base64Data",
}
_PRIMITIVES = {
    ir.PrimitiveKind.STRING: "str",
    ir.PrimitiveKind.INTEGER: "int",
    ir.PrimitiveKind.NUMBER: "float",
    ir.PrimitiveKind.BOOLEAN: "bool",
    ir.PrimitiveKind.NULL: "None",
    ir.PrimitiveKind.ANY: "_t.Any",
}
# Which import alias each rendered prefix needs.
IMPORT_OF_PREFIX = {
    "_dt.": "import datetime as _dt",
    "_uuid.": "import uuid as _uuid",
    "_decimal.": "import decimal as _decimal",
    "_pd.": "import pydantic as _pd",
    "_t.": "import typing as _t",
}


@dataclass(slots=True)
class TypeRenderer:
    definitions: dict[str, ir.TypeDef]
    class_prefix: str = ""
    """Prepended to every class name (``"_models."`` outside the models module)."""
    validation: bool = True
    """Include constraints and discriminators; off for plain signature annotations."""
    used: set[str] = field(default_factory=set)
    """Prefixes / names the rendered source refers to (for minimal imports)."""
    _expanding: list[str] = field(default_factory=list)

    def render(self, expr: ir.TypeExpr) -> str:
        if isinstance(expr, ir.Primitive):
            return self._primitive(expr)
        if isinstance(expr, ir.Literal):
            return self._literal([expr])
        if isinstance(expr, ir.Array):
            inner = f"list[{self.render(expr.items)}]"
            return self._constrained(inner, _size_args(expr.constraints.min_items, expr.constraints.max_items))
        if isinstance(expr, ir.Map):
            return f"dict[str, {self.render(expr.values)}]"
        if isinstance(expr, ir.Ref):
            return self._ref(expr)
        return self._union(expr)

    def class_name(self, type_id: str) -> str:
        definition = self.definitions[type_id]
        self.used.add(definition.py_name)
        self.used.add(self.class_prefix)
        return self.class_prefix + definition.py_name

    def _ref(self, expr: ir.Ref) -> str:
        definition = self.definitions[expr.target]
        if not isinstance(definition, ir.AliasDef):
            return self.class_name(expr.target)
        if expr.target in self._expanding:
            return self.class_name(expr.target)  # recursion through aliases: name the RootModel
        self._expanding.append(expr.target)
        try:
            return self.render(definition.target)
        finally:
            self._expanding.pop()

    def _union(self, expr: ir.Union) -> str:
        literals = [v for v in expr.variants if isinstance(v, ir.Literal)]
        others = [v for v in expr.variants if not isinstance(v, ir.Literal)]
        parts: list[str] = []
        if literals:
            parts.append(self._literal(literals))
        rendered = [self.render(v) for v in others]
        non_null = [r for r in rendered if r != "None"]
        if expr.discriminator is not None and len(non_null) > 1 and self.validation:
            tag = self._tag_field(expr)
            inner = " | ".join(dict.fromkeys(non_null))
            pd = self._use("_pd.")
            parts.append(self._use("_t.") + f"Annotated[{inner}, {pd}Field(discriminator={literal(tag)})]")
        else:
            parts.extend(non_null)
        if "None" in rendered:
            parts.append("None")
        unique = list(dict.fromkeys(parts))
        if "_t.Any" in unique:
            return "_t.Any"
        return " | ".join(unique)

    def _literal(self, literals: list[ir.Literal]) -> str:
        """``Literal[...]`` of the values typing allows there; others widen to their type."""
        exact = [self.literal_value(v) for v in literals if v.value is not None and not isinstance(v.value, float)]
        parts = []
        if exact:
            parts.append(self._use("_t.") + "Literal[" + ", ".join(exact) + "]")
        if any(isinstance(v.value, float) for v in literals):
            parts.append("float")
        if any(v.value is None for v in literals):
            parts.append("None")
        return " | ".join(parts)

    def literal_value(self, value: ir.Literal) -> str:
        """A literal's value as source: an enum member when it belongs to one."""
        definition = self.definitions.get(value.enum) if value.enum else None
        if isinstance(definition, ir.EnumDef):
            for member in definition.members:
                if member.value == value.value:
                    return f"{self.class_name(definition.id)}.{member.py_name}"
        return literal(value.value)

    def _tag_field(self, expr: ir.Union) -> str:
        assert expr.discriminator is not None
        for variant in expr.variants:
            if isinstance(variant, ir.Ref):
                definition = self.definitions[variant.target]
                if isinstance(definition, ir.ObjectDef):
                    for f in self._all_fields(definition):
                        if f.name == expr.discriminator.property:
                            return f.py_name
        return expr.discriminator.property

    def _all_fields(self, definition: ir.ObjectDef) -> list[ir.Field]:
        fields = list(definition.fields)
        for base in definition.bases:
            parent = self.definitions.get(base)
            if isinstance(parent, ir.ObjectDef):
                fields.extend(self._all_fields(parent))
        return fields

    def _primitive(self, expr: ir.Primitive) -> str:
        base = _PRIMITIVES[expr.kind]
        if expr.kind is ir.PrimitiveKind.STRING and expr.format in _FORMATS:
            base = _FORMATS[expr.format]
        elif expr.kind is ir.PrimitiveKind.NUMBER and expr.format == "decimal":
            base = "_decimal.Decimal"
        for prefix in IMPORT_OF_PREFIX:
            if base.startswith(prefix):
                self._use(prefix)
        if base in ("Binary", "Base64Data"):
            self.used.add(base)
        c = expr.constraints
        args: list[str] = []
        if base == "str":
            args += _size_args(c.min_length, c.max_length)
            if c.pattern is not None:
                args.append(f"pattern={literal(c.pattern)}")
        elif base in ("int", "float", "_decimal.Decimal"):
            integer = base == "int"
            for name, value in (
                ("ge", c.minimum),
                ("le", c.maximum),
                ("gt", c.exclusive_minimum),
                ("lt", c.exclusive_maximum),
                ("multiple_of", c.multiple_of),
            ):
                if value is not None:
                    args.append(f"{name}={_number(value, integer)}")
        return self._constrained(base, args)

    def _constrained(self, base: str, args: list[str]) -> str:
        if not args or not self.validation:
            return base
        return self._use("_t.") + f"Annotated[{base}, {self._use('_pd.')}Field({', '.join(args)})]"

    def _use(self, prefix: str) -> str:
        self.used.add(prefix)
        return prefix


def _size_args(minimum: int | None, maximum: int | None) -> list[str]:
    args = []
    if minimum is not None:
        args.append(f"min_length={minimum}")
    if maximum is not None:
        args.append(f"max_length={maximum}")
    return args


def _number(value: float, integer: bool) -> str:
    if integer and float(value).is_integer():
        return str(int(value))
    return repr(float(value))
