"""wiregen.validate: OpenAPI version, structure and semantic checks, located."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
from tests.corpus.conftest import CORPUS as CORPUS_ROOT

from wiregen.diagnostics import Diagnostic, Severity, has_errors
from wiregen.load import Workspace
from wiregen.validate import validate_openapi

CORPUS = CORPUS_ROOT / "openapi"

HEAD = 'openapi: {version}\ninfo: {{title: t, version: "1"}}\n'


def check(
    tmp_path: Path, body: str, version: str = "3.0.3", name: str = "spec.yaml"
) -> list[Diagnostic]:
    path = tmp_path / name
    path.write_text(HEAD.format(version=version) + body)
    ws = Workspace(tmp_path)
    return validate_openapi(ws.load(path), ws)


def codes(found: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in found if d.span is not None]


OK_PATHS = """\
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
"""


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0", "3.2.0"])
def test_valid_document_has_no_diagnostics(tmp_path: Path, version: str) -> None:
    assert check(tmp_path, OK_PATHS, version) == []


# -- version --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ('openapi: "4.0.0"\n', "unsupported OpenAPI version '4.0.0'", (1, 1)),
        ("openapi: 3.0\n", "must be a string", (1, 1)),
        ('info: {}\nopenapi: "3.1"\n', "unsupported OpenAPI version '3.1'", (2, 1)),
        ('swagger: "2.0"\n', "Swagger 2.0", (1, 1)),
        ("info: {title: t}\n", "missing the 'openapi' field", (1, 1)),
        ("- 1\n", "top level must be a mapping", (1, 1)),
    ],
)
def test_version(tmp_path: Path, text: str, message: str, position: tuple[int, int]) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    ws = Workspace(tmp_path)
    (d,) = validate_openapi(ws.load(path), ws)
    assert d.code == "WG202" and message in d.message
    assert d.span is not None and (d.span.line, d.span.col) == position


def test_swagger_hint(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text('{"swagger": "2.0", "info": {}}')
    ws = Workspace(tmp_path)
    (d,) = validate_openapi(ws.load(path), ws)
    assert d.hint is not None and "convert" in d.hint


# -- structure --------------------------------------------------------------------------


def test_structural_errors_are_specific_and_located(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """\
paths:
  /a:
    get:
      summary: 1
      parameters:
        - {name: q, in: body}
      responses:
        "200": {}
      bogus: true
""",
    )
    assert [(d.code, d.span.line, d.span.col, d.message) for d in found if d.span] == [
        ("WG201", 6, 7, '1 is not of type "string"'),
        ("WG201", 8, 11, "missing required property 'schema'"),  # 3.0: schema or content
        ("WG201", 8, 21, '"body" is not one of "path", "query", "header", "cookie"'),
        ("WG201", 10, 9, "missing required property 'description'"),
        ("WG201", 11, 7, "unexpected property 'bogus'"),
    ]


def test_schema_objects_are_checked_in_3_1(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        "components:\n  schemas:\n    A:\n      type: object\n      properties:\n        n: {type: string, minLength: x}\n",
        "3.1.0",
    )
    assert codes(found) == [("WG201", 8, 27)]
    assert found[0].message == '"x" is not of type "integer"'


def test_big_instances_are_not_dumped_into_messages(tmp_path: Path) -> None:
    description = "d" * 5000
    found = check(
        tmp_path,
        f"paths:\n  /a:\n    get:\n      responses:\n        '200': {{description: {description}}}\n    put: 5\n",
    )
    assert found and all(len(d.message) <= 200 for d in found)


def test_structural_errors_are_capped(tmp_path: Path) -> None:
    body = "paths:\n" + "".join(
        f"  /p{i}:\n    get:\n      responses: {{'200': {{}}}}\n" for i in range(30)
    )
    found = check(tmp_path, body)
    errors = [d for d in found if d.severity is Severity.ERROR]
    assert len(errors) == 20
    assert (
        found[-1].severity is Severity.INFO
        and found[-1].message == "10 more structural errors not shown"
    )


def test_petstore_unquoted_ref_bug_is_located(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        "paths: {}\ncomponents:\n  schemas:\n    Pet:\n      properties:\n        d:\n          $ref: #/components/schemas/D\n    D: {}\n",
        "3.1.0",
    )
    assert codes(found) == [("WG201", 9, 11)]
    assert found[0].message == 'null is not of type "string"'
    assert found[0].hint is not None and "quote" in found[0].hint


# -- references -------------------------------------------------------------------------


def test_every_ref_must_resolve_across_files(tmp_path: Path) -> None:
    (tmp_path / "common.yaml").write_text(
        "Pet:\n  properties:\n    tag: {$ref: '#/Tag'}\n    owner: {$ref: '#/Owner'}\nTag: {type: string}\n"
    )
    found = check(
        tmp_path,
        """\
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: 'common.yaml#/Pet'}
              example: {$ref: not-a-reference}
        "404": {$ref: '#/components/responses/Missing'}
components:
  schemas:
    Self: {$ref: '#/components/schemas/Self'}
    default:
      properties:
        enum: {$ref: '#/components/schemas/Nope'}
""",
    )
    assert [(d.code, d.span.file, d.span.line, d.span.col) for d in found if d.span] == [
        ("WG110", f"{tmp_path.name}/spec.yaml", 13, 17),
        ("WG110", f"{tmp_path.name}/spec.yaml", 19, 16),
        ("WG110", f"{tmp_path.name}/common.yaml", 4, 13),
    ]
    assert found[0].hint is not None


def test_refs_escaping_the_root_are_reported(tmp_path: Path) -> None:
    api = tmp_path / "api"
    api.mkdir()
    (tmp_path / "outside.yaml").write_text("X: {}\n")
    found = check(
        api,
        "paths: {}\ncomponents:\n  schemas:\n    A: {$ref: '../outside.yaml#/X'}\n    B: {$ref: 'https://example.com/x.yaml'}\n",
    )
    assert codes(found) == [("WG112", 6, 9), ("WG111", 7, 9)]


def test_ref_cycles_terminate(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("A: {$ref: 'b.yaml#/B'}\n")
    (tmp_path / "b.yaml").write_text("B: {$ref: 'a.yaml#/A'}\n")
    found = check(tmp_path, "paths:\n  /x: {$ref: 'a.yaml#/A'}\n")
    assert found == []


# -- semantic checks -----------------------------------------------------------------------


def test_duplicate_operation_id(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """\
paths:
  /a:
    get: {operationId: same, responses: {"200": {description: ok}}}
    put: {operationId: other, responses: {"200": {description: ok}}}
  /b:
    post: {operationId: same, responses: {"200": {description: ok}}}
""",
    )
    assert codes(found) == [("WG203", 8, 12)]
    assert found[0].hint is not None and "GET /a" in found[0].hint


def test_path_template_and_parameters(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """\
paths:
  /a/{x}/{y}:
    parameters:
      - {name: x, in: path, required: true, schema: {type: string}}
    get:
      parameters:
        - {name: z, in: path, required: true, schema: {type: string}}
        - {name: y, in: query, schema: {type: string}}
      responses: {"200": {description: ok}}
    put:
      parameters:
        - $ref: '#/components/parameters/Y'
      responses: {"200": {description: ok}}
components:
  parameters:
    Y: {name: y, in: path, required: true, schema: {type: string}}
""",
    )
    assert codes(found) == [("WG204", 7, 5), ("WG204", 9, 11)]
    assert "'y'" in found[0].message and "'z'" in found[1].message


def test_path_parameter_must_be_required(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("Id: {name: id, in: path, schema: {type: string}}\n")
    found = check(
        tmp_path,
        """\
paths:
  /a/{id}:
    get:
      parameters: [{$ref: 'params.yaml#/Id'}]
      responses: {"200": {description: ok}}
""",
    )
    # Inline, the schema already rejects it (WG201); in another file only WG205 can.
    assert [(d.code, d.span.file, d.span.line) for d in found if d.span] == [
        ("WG205", f"{tmp_path.name}/params.yaml", 1)
    ]


def test_path_parameter_required_not_reported_twice(tmp_path: Path) -> None:
    found = check(tmp_path, OK_PATHS.replace("required: true, ", ""))
    assert [d.code for d in found] == ["WG201"]


def test_duplicate_parameters(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """\
paths:
  /a:
    get:
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: X-Trace, in: header, schema: {type: string}}
        - {name: q, in: header, schema: {type: string}}
        - {name: x-trace, in: header, schema: {type: string}}
        - $ref: '#/components/parameters/Q'
      responses: {"200": {description: ok}}
components:
  parameters:
    Q: {name: q, in: query, schema: {type: string}}
""",
    )
    assert codes(found) == [("WG206", 10, 11), ("WG206", 11, 11)]  # X-Trace/x-trace, q/$ref Q


def test_undefined_security_scheme(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """\
security:
  - {apiKey: []}
  - {}
paths:
  /a:
    get:
      security: [{oauth: [read]}, {apiKye: []}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    apiKey: {type: apiKey, in: header, name: X-Key}
""",
    )
    assert codes(found) == [("WG207", 9, 19), ("WG207", 9, 36)]
    assert found[1].hint == "did you mean 'apiKey'?"


def test_default_must_match_type(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """\
paths: {}
components:
  schemas:
    A:
      type: object
      properties:
        a: {type: integer, default: "1"}
        b: {type: integer, default: 2}
        c: {type: number, default: 2}
        d: {type: boolean, default: 0}
        e: {type: string, default: null, nullable: true}
        f: {type: array, default: []}
        default: {type: string, default: 3}
""",
    )
    assert codes(found) == [("WG208", 9, 28), ("WG208", 12, 28), ("WG208", 15, 33)]
    assert all(d.severity is Severity.WARNING for d in found)
    assert not has_errors(found)


def test_default_type_list_in_3_1(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        "paths: {}\ncomponents:\n  schemas:\n    A: {type: [string, 'null'], default: null}\n    B: {type: [string, integer], default: true}\n",
        "3.1.0",
    )
    assert codes(found) == [("WG208", 7, 34)]


def test_invalid_pattern_warns(tmp_path: Path) -> None:
    found = check(
        tmp_path, "paths: {}\ncomponents:\n  schemas:\n    A: {type: string, pattern: '[a-'}\n"
    )
    assert codes(found) == [("WG209", 6, 23)]


def test_duplicate_tag_names(tmp_path: Path) -> None:
    found = check(
        tmp_path, "tags:\n  - {name: a}\n  - {name: a, description: again}\npaths: {}\n", "3.1.0"
    )
    assert codes(found) == [("WG210", 5, 6)]


def test_callbacks_and_webhooks(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        """\
paths:
  /subscribe:
    post:
      operationId: subscribe
      callbacks:
        onEvent:
          '{$request.body#/url}':
            post: {operationId: subscribe, responses: {"200": {description: ok}}}
      responses: {"200": {description: ok}}
webhooks:
  ping:
    post: {operationId: ping, security: [{nope: []}], responses: {"200": {description: ok}}}
""",
        "3.1.0",
    )
    assert codes(found) == [("WG203", 10, 20), ("WG207", 14, 43)]


# -- the corpus --------------------------------------------------------------------------

KNOWN_BAD = {
    "petstore-3.1.yaml": [
        "WG201",
        "WG201",
    ],  # unquoted `$ref: #/…` is null; $vocabulary is a string
    "petstore-3.1-quoted.yaml": ["WG201", "WG110"],  # $vocabulary; '#/…/petdetails' vs 'PetDetails'
}


@pytest.mark.parametrize("spec", sorted(glob.glob(str(CORPUS / "*"))), ids=lambda p: Path(p).name)
def test_corpus(spec: str) -> None:
    ws = Workspace(Path(spec).parent)
    found = validate_openapi(ws.load(Path(spec)), ws)
    errors = [d.code for d in found if d.severity is Severity.ERROR]
    assert errors == KNOWN_BAD.get(Path(spec).name, []), [d.format() for d in found]
    if Path(spec).name == "petstore-3.1.yaml":
        assert (found[0].span.line, found[0].span.col) == (377, 11)  # type: ignore[union-attr]
