""".proto input written to break out of every spot its text reaches in generated code.

Two ways in: our templates (comments become docstrings; names are identifiers protoc
has already checked) and protoc's own ``_pb2.py`` modules, which embed strings and
options only inside escaped ``bytes`` literals but copy a *file's name* unescaped into
comments, string literals and import statements. Hostile names are refused with a
diagnostic; and should one ever get through, the check of protoc's modules refuses
what protoc wrote for it (tested here with protoc's real output).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from wiregen.diagnostics import Severity
from wiregen.emit import check_files, emit
from wiregen.frontends.proto_naming import pb2_parts
from wiregen.frontends.protoc import _run
from wiregen.pipeline import GenerateRequest, Target, generate
from wiregen.render.grpc import ProtoFile, pb2_module

TRIPWIRE = "wiregen_pwned_marker"
PAYLOAD = f"__import__('pathlib').Path('{TRIPWIRE}').touch()"
# Payloads that get to protoc's escaping and to our docstring and comment filters.
HOSTILE = [
    f'"""; {PAYLOAD}; """',
    f"'''; {PAYLOAD}; '''",
    f"\\\"; {PAYLOAD} #",
    f"') or {PAYLOAD} or ('",
    f"x\u2028{PAYLOAD}\u2029\x85",
    "{{ 7 * 7 }}{% raw %}",
]


def _proto_string(text: str) -> str:
    """``text`` as a .proto string literal (protoc reads the escapes back)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isascii() and char.isprintable():
            out.append(char)
        else:
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8"))
    return '"' + "".join(out) + '"'


def _spec() -> str:
    # Comments carry the payloads raw (and line breaks of every kind inside a block comment).
    comment = " ".join(HOSTILE)
    block = f"/* {comment}\r{PAYLOAD}\x0b{PAYLOAD}\x0c{PAYLOAD}\x1c{PAYLOAD} */"
    strings = [_proto_string(h) for h in HOSTILE]
    return f"""syntax = "proto2";
// {comment}
package evil.v1;
import "google/protobuf/descriptor.proto";
extend google.protobuf.MessageOptions {{ optional string note = 50001; }}
extend google.protobuf.FieldOptions {{ optional string field_note = 50002; }}
extend google.protobuf.MethodOptions {{ optional string method_note = 50003; }}

// {comment}
{block}
message Evil {{
  option (note) = {strings[0]};
  // {comment}
  optional string text = 1 [default = {strings[1]}, json_name = {strings[2]}, (field_note) = {strings[3]}, deprecated = true]; // {comment}
  optional bytes data = 2 [default = {strings[4]}];
  enum Kind {{ KIND_UNSPECIFIED = 0; }}
}}

// {comment}
service EvilService {{
  // {comment}
  {block}
  rpc Do(Evil) returns (Evil) {{ option (method_note) = {strings[5]}; option deprecated = true; }}
}}
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("hostile_proto")
    spec = work / "evil" / "v1" / "evil.proto"
    spec.parent.mkdir(parents=True)
    spec.write_bytes(_spec().encode("utf-8"))
    result = generate(GenerateRequest(spec=spec, package="evil_pkg", targets=(Target.GRPC,)))
    errors = [d.format() for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors, "\n".join(errors)
    out = work / "out"
    emit(result.files, out)
    return work, out


_PROBE = """
import evil_pkg.evil.v1 as m
evil = m.Evil()
field = m.Evil.DESCRIPTOR.fields_by_name["text"]
assert field.default_value == HOSTILE[1], field.default_value
assert field.json_name == HOSTILE[2], field.json_name
assert m.Evil.DESCRIPTOR.fields_by_name["data"].default_value == HOSTILE[4].encode()
from evil_pkg._pb.evil.v1 import evil_pb2 as pb2
assert m.Evil.DESCRIPTOR.GetOptions().Extensions[pb2.note] == HOSTILE[0]
assert field.GetOptions().Extensions[pb2.field_note] == HOSTILE[3]
assert "__import__('pathlib')" in m.EvilServiceClient.__doc__
assert m.EvilServiceClient("127.0.0.1:1").close() is None
print("ok")
"""


def test_nothing_runs_and_every_string_stays_data(hostile: tuple[Path, Path]) -> None:
    work, out = hostile
    probe = f"import sys; sys.path.insert(0, {str(out)!r}); HOSTILE = {HOSTILE!r}\n{_PROBE}"
    ran = subprocess.run([sys.executable, "-c", probe], cwd=work, capture_output=True, text=True, check=False)
    assert ran.returncode == 0 and ran.stdout.strip() == "ok", ran.stderr[-3000:]
    assert not (work / TRIPWIRE).exists()


def test_the_payload_is_never_code(hostile: tuple[Path, Path]) -> None:
    _, out = hostile
    paths = list((out / "evil_pkg").rglob("*.py*"))
    assert any(p.name == "evil_pb2.py" for p in paths) and any(p.name == "evil_pb2.pyi" for p in paths)
    for path in paths:
        source = path.read_text(encoding="utf-8")
        assert "\u2028" not in source and "\x0c" not in source and "\r" not in source and "\x85" not in source, path
        names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
        assert "__import__" not in names, path  # only ever inside string or bytes constants


def test_generated_hostile_package_type_checks_and_lints(hostile: tuple[Path, Path]) -> None:
    _, out = hostile
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(out / ".mypy"), "evil_pkg"],
        cwd=out, capture_output=True, text=True, check=False,
    )
    assert mypy.returncode == 0, mypy.stdout[-3000:]
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "evil_pkg"], cwd=out, capture_output=True, text=True, check=False)
    assert ruff.returncode == 0, ruff.stdout[-3000:]


# File names protoc copies into its modules unescaped. (No "." but the suffix: protoc
# turns dots into directories when it names its output.)
NAMES = [
    f"a',getattr(__import__('os'),'system')('touch {TRIPWIRE}'),'.proto",
    f"a\nX = getattr(__import__('os'),'system')('touch {TRIPWIRE}')\n#.proto",
    'q"uote.proto',
    "back\\slash.proto",
]
BREAKING_OUT = NAMES[:2]
MESSAGE = 'syntax = "proto3";\npackage evil.v1;\nmessage M { string s = 1; }\nservice S { rpc Get(M) returns (M); }\n'


def _hostile_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    try:
        path.write_text(MESSAGE, encoding="utf-8")
    except (OSError, ValueError):
        pytest.skip(f"this file system cannot hold the name {name!r}")
    return path


@pytest.mark.parametrize("name", NAMES)
def test_file_names_protoc_would_copy_into_code_are_refused(name: str, tmp_path: Path) -> None:
    spec = _hostile_file(tmp_path, name)
    result = generate(GenerateRequest(spec=spec, package="evil_pkg", targets=(Target.GRPC,), includes=(tmp_path,)))
    assert result.files == {}
    assert [d.code for d in result.diagnostics if d.severity is Severity.ERROR] == ["WG405"]
    assert not (tmp_path / TRIPWIRE).exists()


@pytest.mark.parametrize("name", BREAKING_OUT)
def test_protocs_module_for_a_hostile_name_would_be_refused_by_the_emit_check(name: str, tmp_path: Path) -> None:
    # Past the name check (as if it had a hole), what protoc writes for the name must
    # still never reach the disk.
    _hostile_file(tmp_path, name)
    python_out = tmp_path / "py"
    python_out.mkdir()
    code, messages = _run([f"-I{tmp_path}", f"--python_out={python_out}", name])
    assert code == 0, messages
    [written] = list(python_out.glob("*_pb2.py"))
    text = written.read_text(encoding="utf-8")
    assert "__import__('os')" in text  # protoc did copy the name as it is
    proto = ProtoFile(name=name, package="evil.v1", dependencies=(), runtime_provided=False, extensions=())
    module = pb2_module(text, proto, {name: proto}, "evil_pkg", "# Code generated by wiregen. DO NOT EDIT.")
    rel = "evil_pkg/_pb/" + "/".join(pb2_parts(name)) + ".py"
    assert [d.code for d in check_files({rel: module})] == ["WG501"]
    with pytest.raises(Exception, match="WG501"):
        emit({rel: module}, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / TRIPWIRE).exists()
