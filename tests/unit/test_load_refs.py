"""wiregen.load: resolving $ref, and keeping references inside the spec's root."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wiregen.diagnostics import Abort, Diagnostic, SourceSpan
from wiregen.load import Document, Resolved, Workspace

SPEC = """\
openapi: 3.1.0
components:
  schemas:
    Pet: {type: object}
    "a/b": {type: string}
    "t~x": {type: integer}
    "with space": {type: boolean}
    List: [zero, one]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    api = tmp_path / "api"
    (api / "common").mkdir(parents=True)
    (api / "spec.yaml").write_text(SPEC)
    (api / "common" / "schemas.yaml").write_text(
        "Foo: {type: string}\nBar: {$ref: '../spec.yaml#/components/schemas/Pet'}\n"
    )
    (api / "other file.json").write_text('{"x": {"y": 1}}')
    (tmp_path / "secret.yaml").write_text("password: hunter2\n")
    return api


def resolve(ws: Workspace, doc: Document, ref: str) -> Resolved:
    return ws.resolve_ref(ref, doc, SourceSpan(file=doc.display, pointer="/here/$ref"))


def refused(ws: Workspace, doc: Document, ref: str) -> Diagnostic:
    with pytest.raises(Abort) as caught:
        resolve(ws, doc, ref)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.span == SourceSpan(file=doc.display, pointer="/here/$ref")
    return diagnostic


@pytest.fixture
def ws(root: Path) -> Workspace:
    return Workspace(root)


@pytest.fixture
def spec(ws: Workspace, root: Path) -> Document:
    return ws.load(root / "spec.yaml")


@pytest.mark.parametrize(
    ("ref", "pointer", "node"),
    [
        ("#/components/schemas/Pet", "/components/schemas/Pet", {"type": "object"}),
        ("#/components/schemas/a~1b", "/components/schemas/a~1b", {"type": "string"}),
        ("#/components/schemas/t~0x", "/components/schemas/t~0x", {"type": "integer"}),
        (
            "#/components/schemas/with%20space",
            "/components/schemas/with space",
            {"type": "boolean"},
        ),
        ("#/components/schemas/List/1", "/components/schemas/List/1", "one"),
        ("#", "", None),
    ],
)
def test_local_refs(ws: Workspace, spec: Document, ref: str, pointer: str, node: object) -> None:
    target = resolve(ws, spec, ref)
    assert target.document is spec
    assert target.pointer == pointer
    assert target.span == SourceSpan(file="api/spec.yaml", pointer=pointer)
    if node is not None:
        assert target.node == node
    else:
        assert target.node is spec.data


def test_file_refs(ws: Workspace, spec: Document, root: Path) -> None:
    foo = resolve(ws, spec, "common/schemas.yaml#/Foo")
    assert foo.node == {"type": "string"}
    assert foo.document.display == "api/common/schemas.yaml"
    assert foo.span == SourceSpan(file="api/common/schemas.yaml", pointer="/Foo")
    whole = resolve(ws, spec, "other%20file.json")
    assert whole.pointer == "" and whole.node == {"x": {"y": 1}}
    assert resolve(ws, spec, "./other file.json#/x/y").node == 1
    # Relative to the referencing document's directory, going up but staying in root.
    back = resolve(ws, foo.document, "../spec.yaml#/components/schemas/Pet")
    assert back.document is spec
    assert [d.display for d in ws.documents] == [
        "api/spec.yaml",
        "api/common/schemas.yaml",
        "api/other file.json",
    ]


def test_file_ref_is_loaded_once(ws: Workspace, spec: Document) -> None:
    a = resolve(ws, spec, "common/schemas.yaml#/Foo").document
    b = resolve(ws, spec, "./common/../common/schemas.yaml").document
    assert a is b


def test_missing_key_has_a_hint(ws: Workspace, spec: Document) -> None:
    d = refused(ws, spec, "#/components/schemas/Pett")
    assert d.code == "WG110"
    assert (
        d.message
        == "unresolvable $ref '#/components/schemas/Pett': /components/schemas has no key 'Pett'"
    )
    assert d.hint == "did you mean 'Pet'?"


def test_bad_index_and_scalar(ws: Workspace, spec: Document) -> None:
    assert "index 5 is out of range" in refused(ws, spec, "#/components/schemas/List/5").message
    assert "'x' is not an index" in refused(ws, spec, "#/components/schemas/List/x").message
    assert "is a string" in refused(ws, spec, "#/openapi/x").message


def test_missing_key_in_other_file_names_the_file(ws: Workspace, spec: Document) -> None:
    d = refused(ws, spec, "common/schemas.yaml#/Nope")
    assert d.code == "WG110" and "in 'api/common/schemas.yaml'" in d.message


def test_missing_file(ws: Workspace, spec: Document) -> None:
    d = refused(ws, spec, "nope.yaml#/x")
    assert d.code == "WG110"
    assert "file 'api/nope.yaml' not found" in d.message


def test_malformed_pointer(ws: Workspace, spec: Document) -> None:
    assert refused(ws, spec, "#/a~2b").code == "WG110"


def test_escaping_the_root_is_refused(ws: Workspace, spec: Document, root: Path) -> None:
    for ref in (
        "../secret.yaml",
        "../secret.yaml#/password",
        "common/../../secret.yaml",
        str(root.parent / "secret.yaml"),
    ):
        d = refused(ws, spec, ref)
        assert d.code == "WG112", ref
        assert "hunter2" not in d.format()
    assert refused(ws, spec, (root.parent / "secret.yaml").as_uri()).code == "WG112"


def test_symlink_out_of_the_root_is_refused(ws: Workspace, spec: Document, root: Path) -> None:
    (root / "link.yaml").symlink_to(root.parent / "secret.yaml")
    assert refused(ws, spec, "link.yaml").code == "WG112"


def test_symlink_inside_the_root_is_fine(ws: Workspace, spec: Document, root: Path) -> None:
    (root / "alias.yaml").symlink_to(root / "common" / "schemas.yaml")
    assert resolve(ws, spec, "alias.yaml#/Foo").node == {"type": "string"}


@pytest.mark.parametrize(
    "ref", ["https://example.com/s.yaml#/x", "http://example.com/s.yaml", "//example.com/s.yaml"]
)
def test_remote_refs_are_refused_by_default(ws: Workspace, spec: Document, ref: str) -> None:
    d = refused(ws, spec, ref)
    assert d.code == "WG111"
    assert d.hint is not None


def test_other_schemes_are_unresolvable(ws: Workspace, spec: Document) -> None:
    assert refused(ws, spec, "urn:example:thing").code == "WG110"
    assert refused(ws, spec, "ftp://example.com/x.yaml").code == "WG110"


def test_broken_target_file_reports_its_own_error(
    ws: Workspace, spec: Document, root: Path
) -> None:
    (root / "broken.yaml").write_text("a: [\n")
    with pytest.raises(Abort) as caught:
        resolve(ws, spec, "broken.yaml")
    (d,) = caught.value.diagnostics
    assert d.code == "WG101" and d.span is not None and d.span.file == "api/broken.yaml"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "served"
    served.mkdir()
    (served / "remote.yaml").write_text("Thing: {type: string}\nNext: {$ref: 'more.json#/n'}\n")
    (served / "more.json").write_text('{"n": 42}')
    (served / "big.json").write_text("[" + "1," * 5000 + "1]")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(served))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_remote_refs_when_allowed(root: Path, server: str) -> None:
    ws = Workspace(root, allow_remote_refs=True, max_bytes=4096)
    spec = ws.load(root / "spec.yaml")
    thing = resolve(ws, spec, f"{server}/remote.yaml#/Thing")
    assert thing.node == {"type": "string"}
    assert thing.document.display == f"{server}/remote.yaml"
    # Relative references inside a remote document stay on that server.
    nxt = ws.resolve_ref("more.json#/n", thing.document, SourceSpan(file=thing.document.display))
    assert nxt.node == 42
    assert refused(ws, spec, f"{server}/missing.yaml").code == "WG104"
    with pytest.raises(Abort) as caught:
        resolve(ws, spec, f"{server}/big.json")
    assert "larger than" in caught.value.diagnostics[0].message


ID_SPEC = """\
openapi: 3.1.0
components:
  schemas:
    Pet:
      properties:
        details: {$ref: '/schemas/details#/properties/id'}
        anchored: {$ref: '/schemas/details#pid'}
        tag: {$ref: '#/components/schemas/Tag'}
    Details:
      $id: /schemas/details
      properties:
        id: {type: integer, $anchor: pid}
        tag: {$ref: '#/components/schemas/Tag'}
        local: {$ref: '#/properties/id'}
    Tag: {type: string}
"""


def test_refs_by_id_and_anchor(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(ID_SPEC)
    ws = Workspace(tmp_path)
    doc = ws.load(tmp_path / "spec.yaml")

    def at(pointer: str, ref: str) -> Resolved:
        return ws.resolve_ref(ref, doc, SourceSpan(file=doc.display, pointer=pointer))

    pet = "/components/schemas/Pet/properties"
    details = "/components/schemas/Details/properties"
    assert at(f"{pet}/details/$ref", "/schemas/details#/properties/id").pointer == f"{details}/id"
    assert at(f"{pet}/anchored/$ref", "/schemas/details#pid").pointer == f"{details}/id"
    assert at(f"{pet}/tag/$ref", "#/components/schemas/Tag").node == {"type": "string"}
    # Below an $id, '#/…' is relative to that schema first...
    assert at(f"{details}/local/$ref", "#/properties/id").pointer == f"{details}/id"
    # ...and to the file when that finds nothing (what authors of such refs mean).
    assert (
        at(f"{details}/tag/$ref", "#/components/schemas/Tag").pointer == "/components/schemas/Tag"
    )
    with pytest.raises(Abort) as caught:
        at(f"{pet}/anchored/$ref", "/schemas/details#nope")
    assert "no $anchor named 'nope'" in caught.value.diagnostics[0].message
