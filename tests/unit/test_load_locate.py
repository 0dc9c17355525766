"""wiregen.load: recovering line:col of JSON pointers on demand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wiregen.diagnostics import SourceSpan
from wiregen.load import Document, Workspace

YAML = """\
openapi: 3.1.0
paths:
  /pets/{id}:
    get:
      parameters:
        - name: id
          in: path
        - $ref: '#/components/parameters/Limit'
  "a/b":
    x: 1
  "t~x":
    y: [10, {z: "}{'\\""}, 30]
base: &base
  inherited: yes
merged:
  <<: *base
  own: 1
"""


def located(ws: Workspace, doc: Document, pointer: str) -> tuple[int, int]:
    span = ws.locate(SourceSpan(file=doc.display, pointer=pointer))
    return span.line, span.col


@pytest.fixture
def yaml_doc(tmp_path: Path) -> tuple[Workspace, Document]:
    path = tmp_path / "spec.yaml"
    path.write_text(YAML)
    ws = Workspace(tmp_path)
    return ws, ws.load(path)


@pytest.mark.parametrize(
    ("pointer", "position"),
    [
        ("", (1, 1)),
        ("/openapi", (1, 1)),
        ("/paths", (2, 1)),
        ("/paths/~1pets~1{id}", (3, 3)),
        ("/paths/~1pets~1{id}/get/parameters", (5, 7)),
        ("/paths/~1pets~1{id}/get/parameters/0", (6, 11)),  # list items: the value
        ("/paths/~1pets~1{id}/get/parameters/0/in", (7, 11)),  # members: the key
        ("/paths/~1pets~1{id}/get/parameters/1/$ref", (8, 11)),
        ("/paths/a~1b/x", (10, 5)),
        ("/paths/t~0x/y/1/z", (12, 14)),
        ("/paths/t~0x/y/2", (12, 27)),
        ("/merged/own", (17, 3)),
        ("/merged/inherited", (14, 3)),  # found through the merge key, where it is written
    ],
)
def test_locate_yaml(
    yaml_doc: tuple[Workspace, Document], pointer: str, position: tuple[int, int]
) -> None:
    ws, doc = yaml_doc
    assert located(ws, doc, pointer) == position


def test_locate_yaml_stops_at_deepest_existing_node(yaml_doc: tuple[Workspace, Document]) -> None:
    ws, doc = yaml_doc
    assert located(ws, doc, "/paths/~1pets~1{id}/post/responses") == (3, 3)
    assert located(ws, doc, "/paths/~1pets~1{id}/get/parameters/7") == (5, 7)
    assert located(ws, doc, "/openapi/deeper") == (1, 1)


JSON_TEXT = (
    "{\n"
    '  "openapi": "3.0.3",\n'
    '  "tricky": "a \\" }{ ] [ \\\\",\n'
    '  "paths": {\n'
    '    "/a/{b}": {"get": {"parameters": [{"name": "b"}, {"name": "c", "in": "path"}]}},\n'
    '    "m~n": {"\\u00e9t\\u00e9": [1, [2, {"deep": true}]]}\n'
    "  },\n"
    '  "arr": [\n'
    "    1,\n"
    '    "two"\n'
    "  ]\n"
    "}\n"
)


@pytest.fixture
def json_doc(tmp_path: Path) -> tuple[Workspace, Document]:
    json.loads(JSON_TEXT)  # the fixture itself must be valid JSON
    path = tmp_path / "spec.json"
    path.write_text(JSON_TEXT)
    ws = Workspace(tmp_path)
    return ws, ws.load(path)


@pytest.mark.parametrize(
    ("pointer", "position"),
    [
        ("", (1, 1)),
        ("/openapi", (2, 3)),
        ("/tricky", (3, 3)),
        ("/paths", (4, 3)),
        ("/paths/~1a~1{b}", (5, 5)),
        ("/paths/~1a~1{b}/get/parameters/1", (5, 54)),
        ("/paths/~1a~1{b}/get/parameters/1/in", (5, 68)),
        ("/paths/m~0n/été", (6, 13)),  # key written with \\u escapes
        ("/paths/m~0n/été/1/1/deep", (6, 39)),
        ("/arr/1", (10, 5)),
    ],
)
def test_locate_json(
    json_doc: tuple[Workspace, Document], pointer: str, position: tuple[int, int]
) -> None:
    ws, doc = json_doc
    assert located(ws, doc, pointer) == position


def test_locate_json_stops_at_deepest_existing_node(json_doc: tuple[Workspace, Document]) -> None:
    ws, doc = json_doc
    assert located(ws, doc, "/paths/~1a~1{b}/put") == (5, 5)
    assert located(ws, doc, "/arr/2") == (8, 3)
    assert located(ws, doc, "/arr/x") == (8, 3)
    assert located(ws, doc, "/openapi/x") == (2, 3)


def test_locate_all_batches_and_keeps_order(json_doc: tuple[Workspace, Document]) -> None:
    ws, doc = json_doc
    spans = [SourceSpan(file=doc.display, pointer=p) for p in ("/arr/1", "/openapi", "/arr/1")]
    assert [(s.line, s.col) for s in ws.locate_all(spans)] == [(10, 5), (2, 3), (10, 5)]


def test_locate_leaves_unknown_and_located_spans_alone(
    json_doc: tuple[Workspace, Document],
) -> None:
    ws, doc = json_doc
    unknown = SourceSpan(file="elsewhere.json", pointer="/openapi")
    assert ws.locate(unknown) == unknown
    done = SourceSpan(file=doc.display, pointer="/openapi", line=99, col=9)
    assert ws.locate(done) == done
    bad_pointer = SourceSpan(file=doc.display, pointer="no-slash")
    assert ws.locate(bad_pointer) == bad_pointer


def test_locate_json_on_minified_text(tmp_path: Path) -> None:
    path = tmp_path / "min.json"
    path.write_text('{"a":{"b":[0,{"c":1}]}}')
    ws = Workspace(tmp_path)
    doc = ws.load(path)
    assert located(ws, doc, "/a/b/1/c") == (1, 15)
