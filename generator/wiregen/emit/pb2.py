"""What a ``_pb2.py`` module may contain: the statements protoc's Python generator writes.

protoc's modules are not our templates' output, and protoc copies some spec text into
them unescaped (a file's name lands in a comment, in string literals and in import
statements). So instead of parsing them with ``ast`` and looking at the top level,
every line is matched against the few exact shapes the generator writes (see
``src/google/protobuf/compiler/python/generator.cc``) after the grpc target has laid
the module out (:func:`wiregen.render.grpc.pb2_module`):

* comments, blank lines and a one-line docstring;
* imports from ``google.protobuf`` and relative imports inside the generated package;
* ``_DEPENDENCIES = (alias, ...,)``;
* the runtime version check, with integer and string literal arguments;
* the descriptor: one ``bytes`` literal in the escapes protoc uses;
* the builder calls, whose only variable argument is a string literal;
* ``if not _descriptor._USE_C_DESCRIPTORS:`` and, indented below it, assignments of
  ``None``, a ``bytes`` literal or an integer to one attribute of a descriptor named
  by string literals (``_globals['_M'].fields_by_name['f']._serialized_options = b'…'``).

A module made only of these lines is valid Python whose only effects are those
statements: spec text can sit in it only inside a closed literal. Anything else — a
statement protoc does not write, a literal that does not close where it should, a
stray indent — is refused. Matching is linear and much cheaper than parsing: the
descriptor literal of a large API is megabytes long.
"""

from __future__ import annotations

import keyword
import re

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_ID}(?:\.{_ID})*"
_INT = r"[0-9]+"
# A bytes literal as protoc's CEscape / CHexEscape write it: printable ASCII other than
# quote and backslash, or one of the escapes \n \r \t \" \' \\ \xHH \OOO.
_BYTES = r"b'(?:[ -&(-\[\]-~]++|\\(?:[nrt\"'\\]|x[0-9A-Fa-f]{2}|[0-7]{3}))*+'"
# A str literal as ``repr`` writes it: no raw control characters, only its escapes.
_STR_BODY = r"(?:[^{q}\\\x00-\x1f\x7f]++|\\(?:[\\'\"abfnrtv]|x[0-9a-f]{{2}}|u[0-9a-f]{{4}}|U[0-9a-f]{{8}}))*+"
_STR = "(?:'" + _STR_BODY.format(q="'") + "'|\"" + _STR_BODY.format(q='"') + '")'
# A name inside protoc's subscripts: letters, digits and underscores (protoc's own rule).
_KEY = r"'[A-Za-z0-9_]+'"

_BLANK_OR_COMMENT = re.compile("(?:#[^\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]*)?")
_DOCSTRING = re.compile(r'"""(?:[^"\\\x00-\x1f\x7f\x85\u2028\u2029]|\\[\\"])*"""')
_IMPORT = re.compile(
    rf"from (?P<module>google\.protobuf(?:\.{_ID})*|\.+(?:{_DOTTED})?) import "
    rf"(?:(?P<name>{_ID})(?: as (?P<alias>{_ID}))?|\*|(?P<open>\())"
)
_IMPORTED = re.compile(rf"    (?P<name>{_ID})(?: as (?P<alias>{_ID}))?,")
_DEPENDENCIES = re.compile(rf"_DEPENDENCIES = \((?P<names>(?:{_ID}, )*{_ID},)\)")
_STATEMENTS = re.compile(
    "|".join(
        (
            r"_sym_db = _symbol_database\.Default\(\)",
            rf"DESCRIPTOR = _descriptor_pool\.Default\(\)\.AddSerializedFile\({_BYTES}\)",
            r"_globals = globals\(\)",
            r"_builder\.BuildMessageAndEnumDescriptors\(DESCRIPTOR, _globals\)",
            rf"_builder\.Build(?:TopDescriptorsAndMessages|Services)\(DESCRIPTOR, {_STR}, _globals\)",
        )
    )
)
_VERSION_CHECK = (
    re.compile(r"_runtime_version\.ValidateProtobufRuntimeVersion\("),
    re.compile(r"    _runtime_version\.Domain\.PUBLIC,"),
    re.compile(rf"    {_INT},"),
    re.compile(rf"    {_INT},"),
    re.compile(rf"    {_INT},"),
    re.compile(rf"    {_STR},"),
    re.compile(rf"    {_STR}"),
    re.compile(r"\)"),
)
_GUARD = "if not _descriptor._USE_C_DESCRIPTORS:"
_DESCRIPTOR = (
    rf"_globals\[{_KEY}\]"
    rf"(?:\.(?:fields_by_name|extensions_by_name|oneofs_by_name|methods_by_name)\[{_KEY}\]"
    r"|\.values_by_name\[\"[A-Za-z0-9_]+\"\])?"
)
_GUARDED = re.compile(
    rf"  (?:DESCRIPTOR\._loaded_options = None|{_DESCRIPTOR}\."
    rf"(?:_loaded_options = None|_serialized_options = {_BYTES}|_serialized_(?:start|end)={_INT}))"
)


def pb2_problem(text: str) -> tuple[int, str] | None:
    """``(line, reason)`` for the first line that is not one protoc writes, else None."""
    lines = text.split("\n")
    if lines[-1] != "":
        return len(lines), "the module does not end with a line break"
    lines.pop()
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        if _STATEMENTS.fullmatch(line) or _BLANK_OR_COMMENT.fullmatch(line) or _DOCSTRING.fullmatch(line):
            index += 1
        elif line.startswith("from "):
            found = _IMPORT.fullmatch(line)
            if found is None or _has_keyword(found["module"], found["name"], found["alias"]):
                return number, "not an import of google.protobuf or of a module of this package"
            index += 1
            if found["open"]:
                start = index
                while index < len(lines) and (item := _IMPORTED.fullmatch(lines[index])) is not None:
                    if _has_keyword(item["name"], item["alias"]):
                        return index + 1, "a keyword is not a name"
                    index += 1
                if index == start or index == len(lines) or lines[index] != ")":
                    return index + 1, "an import in parentheses that does not close as protoc's do"
                index += 1
        elif line.startswith("_DEPENDENCIES = "):
            found = _DEPENDENCIES.fullmatch(line)
            if found is None or _has_keyword(*found["names"].rstrip(",").split(", ")):
                return number, "not a tuple of imported modules"
            index += 1
        elif line == _GUARD:
            index += 1
            start = index
            while index < len(lines) and (
                _GUARDED.fullmatch(lines[index]) or (index > start and _BLANK_OR_COMMENT.fullmatch(lines[index]))
            ):
                index += 1
            if index == start:
                return index + 1, "the descriptor guard has no statement protoc writes below it"
        elif _VERSION_CHECK[0].fullmatch(line):
            for offset, pattern in enumerate(_VERSION_CHECK):
                if index + offset >= len(lines) or not pattern.fullmatch(lines[index + offset]):
                    return index + offset + 1, "not protoc's runtime version check"
            index += len(_VERSION_CHECK)
        else:
            return number, "not a statement protoc's Python generator writes"
    return None


def _has_keyword(*names: str | None) -> bool:
    return any(keyword.iskeyword(part) for name in names if name for part in name.split("."))


__all__ = ["pb2_problem"]
