"""The public API of a generated package, read with ``ast``, and what a change took away.

Used to check ``wiregen diff`` against the code generator: when diff calls a change
non-breaking, regenerating must not remove a class, method, parameter, field or enum
member, nor add a required parameter or field (code written against the old package
would stop working).

What counts as API: every module but the emitted runtime (``_runtime/``) and the
endpoint tables (``_endpoints/``); in it, public top-level classes and functions;
in a class, public methods and ``__init__`` (parameters with kind and whether they
are required), annotated fields (required when they have no value: pydantic models)
and plain assignments (enum members). In ``.pyi`` stubs a bare annotation is an
attribute, never a required field.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

_INTERNAL = ("_runtime/", "_endpoints/")


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    required: bool
    keyword_only: bool


@dataclass(frozen=True, slots=True)
class Member:
    """A class, function, method, field or enum member, by dotted path."""

    kind: str
    parameters: tuple[Parameter, ...] = ()
    required: bool = False
    """For fields: set without a default."""


def surface(files: Mapping[str, str]) -> dict[str, Member]:
    found: dict[str, Member] = {}
    for path, text in files.items():
        if not path.endswith((".py", ".pyi")) or any(part in path for part in _INTERNAL):
            continue
        module = path.rsplit(".", 1)[0].replace("/", ".")
        tree = ast.parse(text)
        stub = path.endswith(".pyi")
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and _public(node.name):
                found[f"{module}:{node.name}"] = Member("class")
                _class(node, f"{module}:{node.name}", found, stub=stub)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _public(node.name):
                found[f"{module}:{node.name}"] = Member("function", _parameters(node.args))
    return found


def _public(name: str) -> bool:
    return not name.startswith("_")


def _class(node: ast.ClassDef, prefix: str, found: dict[str, Member], *, stub: bool = False) -> None:
    """``stub``: a .pyi file, where a bare annotation declares an attribute (protobuf
    messages: their constructor, ``__init__``, says what is required)."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            if _public(item.name) or item.name == "__init__":
                found[f"{prefix}.{item.name}"] = Member("method", _parameters(item.args, skip_self=True))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and _public(item.target.id):
            required = item.value is None and not stub and not _class_var(item)
            found[f"{prefix}.{item.target.id}"] = Member("field", required=required)
        elif isinstance(item, ast.Assign):
            for target in item.targets:
                if isinstance(target, ast.Name) and _public(target.id) and target.id != "model_config":
                    found[f"{prefix}.{target.id}"] = Member("attribute")
        elif isinstance(item, ast.ClassDef) and _public(item.name):
            found[f"{prefix}.{item.name}"] = Member("class")
            _class(item, f"{prefix}.{item.name}", found, stub=stub)


def _class_var(item: ast.AnnAssign) -> bool:
    return "ClassVar" in ast.unparse(item.annotation)


def _parameters(args: ast.arguments, *, skip_self: bool = False) -> tuple[Parameter, ...]:
    positional = [*args.posonlyargs, *args.args]
    if skip_self and positional:
        positional = positional[1:]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [Parameter(a.arg, d is None, False) for a, d in zip(positional, defaults, strict=True)]
    params += [Parameter(a.arg, d is None, True) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return tuple(params)


def losses(old: Mapping[str, Member], new: Mapping[str, Member]) -> list[str]:
    """What code written against ``old`` relies on and ``new`` no longer offers."""
    problems = []
    for path, before in old.items():
        after = new.get(path)
        if after is None:
            problems.append(f"{before.kind} {path} was removed")
            continue
        if before.kind == "field" and after.kind == "field" and after.required and not before.required:
            problems.append(f"field {path} became required")
        old_params = {p.name: p for p in before.parameters}
        new_params = {p.name: p for p in after.parameters}
        for name, param in old_params.items():
            moved = new_params.get(name)
            if moved is None:
                problems.append(f"parameter {name!r} of {path} was removed")
            elif moved.required and not param.required:
                problems.append(f"parameter {name!r} of {path} became required")
        for name, param in new_params.items():
            if name not in old_params and param.required:
                problems.append(f"{path} gained the required parameter {name!r}")
    for path, after in new.items():
        if path not in old and after.kind == "field" and after.required:
            owner = path.rsplit(".", 1)[0]
            if owner in old:  # a required field in a model that existed before
                problems.append(f"{owner} gained the required field {path.rsplit('.', 1)[1]!r}")
    return problems
