"""The .proto frontend: protoc in-process -> IR, and protoc's errors as located diagnostics."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.grpc.support import EXAMPLE_SPEC, EXAMPLES

from wiregen.diagnostics import Severity
from wiregen.frontends import proto
from wiregen.ir import model as ir
from wiregen.pipeline import GenerateRequest, Target, generate


@pytest.fixture(scope="module")
def api() -> ir.Api:
    result = proto.build([EXAMPLE_SPEC], [], display_base=EXAMPLES)
    assert not result.diagnostics
    assert result.api is not None
    return result.api


def _type(api: ir.Api, type_id: str) -> ir.TypeDef:
    return next(t for t in api.types if t.id == type_id)


def test_imports_are_found_from_the_package_path_without_include_dirs(api: ir.Api) -> None:
    files = {entry["name"] for entry in dict(api.extensions)["proto.files"]}  # type: ignore[union-attr]
    assert {"acme/common/v1/money.proto", "acme/catalog/v1/catalog.proto", "google/protobuf/any.proto"} <= files


def test_services_and_streaming_kinds(api: ir.Api) -> None:
    services = {s.name: s for s in api.services}
    orders = services["acme.orders.v1.OrderService"]
    assert orders.package == "acme.orders.v1" and orders.class_name == "OrderService"
    kinds = {op.py_name: (op.client_streaming, op.server_streaming) for op in orders.operations}
    assert kinds == {
        "place_order": (False, False),
        "upload_line_items": (True, False),
        "watch_order": (False, True),
        "chat": (True, True),
    }
    place = orders.operations[0]
    assert (place.method, place.path) == ("POST", "/acme.orders.v1.OrderService/PlaceOrder")
    assert place.idempotency_level == "IDEMPOTENT" and place.idempotent
    assert place.doc.startswith("Places an order")
    assert place.span.file == "acme/orders/v1/orders.proto" and place.span.line > 0
    catalog = services["acme.catalog.v1.CatalogService"]
    delete = next(op for op in catalog.operations if op.py_name == "delete_product")
    assert delete.deprecated and not delete.idempotent
    get = next(op for op in catalog.operations if op.py_name == "get_product")
    assert get.idempotency_level == "NO_SIDE_EFFECTS"


def test_messages_oneofs_maps_presence_and_docs(api: ir.Api) -> None:
    product = _type(api, ".acme.catalog.v1.Product")
    assert isinstance(product, ir.ObjectDef)
    assert product.doc == "Something the shop sells." and product.source_file == "acme/catalog/v1/catalog.proto"
    fields = {f.name: f for f in product.fields}
    assert fields["in_stock"].oneof == "availability" and fields["restock_at"].oneof == "availability"
    assert fields["sku"].presence and fields["sku"].oneof == ""  # proto3 optional: no synthetic oneof
    assert not fields["name"].presence and fields["price"].presence
    assert fields["labels"].type == ir.Map(values=ir.Primitive(kind=ir.PrimitiveKind.STRING))
    by_warehouse = fields["sold_by_warehouse"].type
    assert isinstance(by_warehouse, ir.Map) and by_warehouse.keys == ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="int32")
    assert fields["tags"].type == ir.Array(items=ir.Primitive(kind=ir.PrimitiveKind.STRING))
    assert fields["restock_at"].type == ir.Ref(target=".google.protobuf.Timestamp")
    assert fields["labels"].number == 4 and fields["labels"].doc.startswith("Free-form labels")
    status = _type(api, ".acme.catalog.v1.Product.Status")
    assert isinstance(status, ir.EnumDef) and status.name == "Product.Status"
    assert [(m.name, m.value, m.deprecated) for m in status.members][-1] == ("DISCONTINUED", 2, True)
    assert not any(t.name.endswith("Entry") for t in api.types)  # map entries are maps, not types


def test_the_ir_target_writes_json_valid_against_the_ir_schema() -> None:
    import json

    import jsonschema_rs

    from wiregen.resources import schema_path

    result = generate(GenerateRequest(spec=EXAMPLE_SPEC, package="acme", targets=(Target.IR,)))
    assert result.ok and list(result.files) == ["ir.json"]
    validator = jsonschema_rs.Draft202012Validator(json.loads(schema_path("ir.schema.json").read_text()))
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(json.loads(result.files["ir.json"]))]
    assert not errors, errors[:5]


BAD = {
    "syntax": (
        'syntax = "proto3";\npackage bad.v1;\nmessage M {\n  int32 x = 1\n}\n',
        "WG401",
        (5, 1),
    ),
    "missing import": (
        'syntax = "proto3";\npackage bad.v1;\nimport "nope/missing.proto";\nmessage M { int32 x = 1; }\n',
        "WG402",
        (3, 1),
    ),
    "unknown type": (
        'syntax = "proto3";\npackage bad.v1;\nmessage M {\n  Unknown thing = 1;\n}\n',
        "WG403",
        (4, 3),
    ),
    "duplicate field number": (
        'syntax = "proto3";\npackage bad.v1;\nmessage M {\n  int32 a = 1;\n  int32 b = 1;\n}\n',
        "WG403",
        (5, 13),
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_gives_located_diagnostics_and_no_files(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, code, (line, col) = BAD[case]
    spec = tmp_path / "bad" / "v1" / "bad.proto"
    spec.parent.mkdir(parents=True)
    spec.write_text(text)
    monkeypatch.chdir(tmp_path)
    result = generate(GenerateRequest(spec=Path("bad/v1/bad.proto"), package="bad", targets=(Target.GRPC,)))
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors and not result.files
    assert errors[0].code == code, [d.format() for d in errors]
    located = next(d for d in errors if d.span is not None and d.span.line)
    assert located.span is not None
    assert (located.span.file, located.span.line, located.span.col) == ("bad/v1/bad.proto", line, col)
    assert located.format().startswith(f"bad/v1/bad.proto:{line}:{col}: error[{code}]")


@pytest.mark.parametrize("case", ["syntax", "missing import", "unknown type"])
def test_the_cli_exits_1_and_writes_nothing(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wiregen.cli import cli

    spec = tmp_path / "bad.proto"
    spec.write_text(BAD[case][0])
    monkeypatch.chdir(tmp_path)
    os.environ.pop("WIREGEN_DEBUG", None)
    result = CliRunner().invoke(cli, ["generate", "bad.proto", "-o", "out", "--package", "bad", "--target", "grpc"])
    assert result.exit_code == 1, result.output
    assert f"error[{BAD[case][1]}]" in result.output
    assert not (tmp_path / "out").exists()


def test_a_missing_spec_file_is_an_error(tmp_path: Path) -> None:
    result = generate(GenerateRequest(spec=tmp_path / "absent.proto", package="p", targets=(Target.GRPC,)))
    assert not result.ok and result.diagnostics[0].code == "WG402"


def test_http_targets_are_refused_for_proto_input() -> None:
    result = generate(GenerateRequest(spec=EXAMPLE_SPEC, package="p", targets=(Target.MODELS,)))
    assert not result.ok and result.diagnostics[0].code == "WG406"
