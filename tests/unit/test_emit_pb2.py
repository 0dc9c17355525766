"""The check of protoc's modules: exactly the statements protoc's Python generator writes.

``_pb2.py`` files are matched line by line against those shapes instead of being parsed
(:mod:`wiregen.emit.pb2`); whatever else a line holds must be refused.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wiregen.emit import check_files
from wiregen.emit.pb2 import pb2_problem

GOLDEN = Path(__file__).resolve().parents[2] / "examples" / "generated"
MODULES = sorted(GOLDEN.rglob("*_pb2.py"))
ORDERS = next(path for path in MODULES if path.name == "orders_pb2.py")
REL = "pkg/_pb/acme/orders/v1/orders_pb2.py"
CALL = "__import__('os').getpid()"


def _orders() -> list[str]:
    return ORDERS.read_text(encoding="utf-8").split("\n")


def _refused(lines: list[str]) -> bool:
    text = "\n".join(lines)
    return pb2_problem(text) is not None and [d.code for d in check_files({REL: text})] == ["WG501"]


def test_the_committed_protoc_modules_pass() -> None:
    assert len(MODULES) >= 3
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        assert pb2_problem(text) is None, path
        assert check_files({REL: text}) == []


def test_what_passes_is_python_made_of_protocs_statements_only() -> None:
    tree = ast.parse(ORDERS.read_text(encoding="utf-8"))
    calls = {ast.unparse(node.value.func) for node in tree.body if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)}
    assert calls == {
        "_runtime_version.ValidateProtobufRuntimeVersion",
        "_builder.BuildMessageAndEnumDescriptors",
        "_builder.BuildTopDescriptorsAndMessages",
    }


# Every line but blank ones and comments (text appended to those stays a comment).
@pytest.mark.parametrize("index", [i for i, line in enumerate(_orders()) if line and not line.startswith("#")])
def test_code_appended_to_any_statement_is_refused(index: int) -> None:
    lines = _orders()
    lines[index] += f"; {CALL}"
    assert _refused(lines)


def _replace(old: str, new: str) -> list[str]:
    lines = _orders()
    matches = [i for i, line in enumerate(lines) if line.startswith(old)]
    assert matches, old
    lines[matches[0]] = new
    return lines


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # A file name breaking out of protoc's unescaped string literal (what protoc
        # writes for a file called  a',<call>,'.proto ).
        ("    'acme/orders/v1/orders.proto'", f"    'a',{CALL},'.proto'"),
        ("_builder.BuildTopDescriptorsAndMessages", f"_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'm' + {CALL}, _globals)"),
        ("DESCRIPTOR = ", f"DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(b'\\n' + {CALL})"),
        ("DESCRIPTOR = ", "DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(b'\\q')"),
        ("DESCRIPTOR = ", "DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(b'\u00e9')"),
        ("  _globals['_CARD']._serialized_start", f"  _globals['_CARD']._serialized_start={CALL}"),
        ("  _globals['_CARD']._serialized_start", f"  _globals[{CALL}]._serialized_start=1"),
        ("  _globals['_CARD']._serialized_start", f"  _globals['_CARD']._serialized_options = b'x' if {CALL} else None"),
        ("  _globals['_CARD']._serialized_start", f"  X = {CALL}"),
        ("  _globals['_CARD']._serialized_start", "  _globals['_CARD'].__class__ = None"),
        ("  _globals['_CARD']._serialized_start", "    _globals['_CARD']._serialized_start=1"),
        ("from google.protobuf import any_pb2", "import os"),
        ("from google.protobuf import any_pb2", "from os import system as _system"),
        ("from google.protobuf import any_pb2", "from google.protobuf import class as _class"),
        ("from google.protobuf import any_pb2", "from antigravity import x_pb2 as x__pb2"),
        ("_DEPENDENCIES", f"_DEPENDENCIES = ({CALL},)"),
        ('"""Protocol buffer classes', '"""Doc "" with a quote"""'),
        ('"""Protocol buffer classes', '"""Doc\\'),
        ("_sym_db", f"_sym_db = {CALL}"),
        ("_globals = globals()", f"_globals = globals() or {CALL}"),
        ("    7,", f"    {CALL},"),
    ],
)
def test_anything_but_protocs_statements_is_refused(old: str, new: str) -> None:
    assert _refused(_replace(old, new))


@pytest.mark.parametrize(
    "lines",
    [
        [f"X = {CALL}"],
        ["if not _descriptor._USE_C_DESCRIPTORS:"],  # a guard with nothing below it
        ["if not _descriptor._USE_C_DESCRIPTORS:", "", "X = 1"],
        ["  _globals['_CARD']._serialized_start=1"],  # an indent outside the guard
        ["_runtime_version.ValidateProtobufRuntimeVersion(", "    _runtime_version.Domain.PUBLIC,", "    7,", ")"],
        ["from . import (", ")"],
        ["from . import (", "    x_pb2 as x__pb2,"],
        ["from . import (", f"    x_pb2 as x__pb2, {CALL}", ")"],
        ["# \u2028 a line break for some editors"],
        ["# \x0c form feed"],
    ],
)
def test_broken_shapes_are_refused(lines: list[str]) -> None:
    head = _orders()[:2]
    assert pb2_problem("\n".join([*head, *lines, ""])) is not None


def test_a_module_must_end_with_a_line_break() -> None:
    assert pb2_problem(ORDERS.read_text(encoding="utf-8").rstrip("\n")) is not None


def test_string_literals_may_hold_any_file_name_repr_writes() -> None:
    lines = _orders()
    for name in ("a'b.proto", 'a"b.proto', "a\\b.proto", "a\nb.proto", "caf\u00e9\u2028.proto", "a'\"b.proto"):
        changed = [repr(name).join(("    ", "")) if line == "    'acme/orders/v1/orders.proto'" else line for line in lines]
        assert pb2_problem("\n".join(changed)) is None, name
        ast.parse("\n".join(changed))
