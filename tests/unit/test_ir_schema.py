"""schemas/ir.schema.json describes exactly what ``wiregen.ir.serialize.to_json`` writes.

The schema is checked three ways: it is a well-formed 2020-12 schema written to the
house rules; it accepts the JSON of hand-built and generated ``ir.Api`` values (and of
the example specs, through the ``ir`` target); and it rejects broken variants of that
JSON. A structural test pins every ``$defs`` entry to its dataclass, so adding a field
to the IR without updating the schema fails here.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiregen.diagnostics import SourceSpan
from wiregen.ir import model as ir
from wiregen.ir import serialize
from wiregen.ir.serialize import to_json
from wiregen.resources import schema_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_path("ir.schema.json").read_text())
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator(schema)


def wire(api: ir.Api) -> Any:
    """What the ``ir`` target writes, read back (tuples become lists, keys strings)."""
    return json.loads(json.dumps(to_json(api)))


def assert_valid(validator: Any, instance: Any) -> None:
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]
    assert not errors, "\n".join(errors[:20])


# ------------------------------------------------------------------ the schema itself


def test_schema_is_a_valid_2020_12_schema(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://wiregen.dev/schemas/ir.schema.json"
    assert schema["title"]
    assert schema["description"]
    jsonschema_rs.Draft202012Validator(schema)  # the Rust validator compiles it too


def _subschemas(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key in {"properties", "$defs"}:
                for name, sub in value.items():
                    yield from _subschemas(sub, f"{where}/{key}/{name}")
            elif key not in {"enum", "const", "required", "type"}:
                yield from _subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _subschemas(item, f"{where}/{i}")


def test_schema_house_rules(schema: dict[str, Any]) -> None:
    for name, definition in schema["$defs"].items():
        assert definition.get("description"), f"$defs/{name} has no description"
    for where, sub in _subschemas(schema, "#"):
        for prop, prop_schema in sub.get("properties", {}).items():
            assert prop_schema.get("description"), f"{where}/properties/{prop} has no description"
        if sub.get("type") == "object" and "properties" in sub:
            assert sub.get("additionalProperties") is False, f"{where} allows additional properties"
            unknown = set(sub.get("required", ())) - set(sub["properties"])
            assert not unknown, f"{where} requires undeclared {sorted(unknown)}"


def _ir_dataclasses() -> dict[str, type]:
    found: dict[str, type] = {"SourceSpan": SourceSpan}
    for name, value in vars(ir).items():
        if (
            isinstance(value, type)
            and dataclasses.is_dataclass(value)
            and value.__module__ == ir.__name__
        ):
            found[name] = value
    return found


def _ir_enums() -> dict[str, type[enum.Enum]]:
    return {
        name: value
        for name, value in vars(ir).items()
        if isinstance(value, type)
        and issubclass(value, enum.Enum)
        and value.__module__ == ir.__name__
    }


def test_every_dataclass_has_a_definition_with_exactly_its_fields(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    classes = _ir_dataclasses()
    assert classes.keys() <= defs.keys(), f"missing $defs: {sorted(classes.keys() - defs.keys())}"
    for name, cls in classes.items():
        definition = defs[name]
        names = [f.name for f in dataclasses.fields(cls)]
        expected = set(names)
        if cls in serialize._KINDS:
            expected.add("kind")
        if cls is ir.Response:
            expected.add("is_success")
        assert set(definition["properties"]) == expected, name
        # Everything is always written, except an empty ``constraints``.
        assert set(definition["required"]) == expected - {"constraints"}, name
        assert definition["additionalProperties"] is False


def test_kind_tags_match_the_serialiser(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    for cls, tag in serialize._KINDS.items():
        kind = defs[cls.__name__]["properties"]["kind"]
        if cls is ir.Primitive:
            # The dataclass's own ``kind`` field is written over the tag.
            assert to_json(ir.Primitive(kind=ir.PrimitiveKind.ANY))["kind"] == "any"
            assert kind == {"description": kind["description"], "$ref": "#/$defs/PrimitiveKind"}
        else:
            assert kind["const"] == tag, cls.__name__
    members = {ref["$ref"].rsplit("/", 1)[1] for ref in defs["TypeExpr"]["oneOf"]}
    assert members == {"Primitive", "Literal", "Array", "Map", "Ref", "Union"}
    members = {ref["$ref"].rsplit("/", 1)[1] for ref in defs["TypeDef"]["oneOf"]}
    assert members == {"ObjectDef", "EnumDef", "AliasDef"}


def test_enums_match_the_model(schema: dict[str, Any]) -> None:
    enums = _ir_enums()
    assert enums, "no enums found in wiregen.ir.model"
    for name, cls in enums.items():
        assert schema["$defs"][name]["enum"] == [m.value for m in cls], name


# ------------------------------------------------------------------ valid documents


def span(pointer: str = "", line: int = 0, col: int = 0) -> SourceSpan:
    return SourceSpan(file="api.yaml", pointer=pointer, line=line, col=col)


STRING = ir.Primitive(kind=ir.PrimitiveKind.STRING)
INTEGER = ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="int64")
NULL = ir.Primitive(kind=ir.PrimitiveKind.NULL)


def full_api() -> ir.Api:
    """Every node kind, every optional part filled in."""
    bounded = ir.Constraints(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z]+$",
        minimum=0,
        maximum=10.5,
        exclusive_minimum=-1.0,
        exclusive_maximum=11,
        multiple_of=0.5,
        min_items=0,
        max_items=3,
        unique_items=True,
    )
    pet_union = ir.Union(
        variants=(
            ir.Ref(target="#/components/schemas/Cat"),
            ir.Ref(target="#/components/schemas/Dog"),
            NULL,
        ),
        discriminator=ir.Discriminator(
            property="petType",
            mapping=(("cat", "#/components/schemas/Cat"), ("dog", "#/components/schemas/Dog")),
        ),
    )
    nested = ir.Union(
        variants=(
            pet_union,
            ir.Union(variants=(ir.Literal(value=1), ir.Literal(value=2.5), ir.Literal(value=None))),
            ir.Array(
                items=ir.Map(values=ir.Primitive(kind=ir.PrimitiveKind.ANY)), constraints=bounded
            ),
        )
    )
    pet = ir.ObjectDef(
        id="#/components/schemas/Pet",
        name="Pet",
        py_name="Pet",
        fields=(
            ir.Field(
                name="id",
                py_name="id",
                type=INTEGER,
                required=True,
                read_only=True,
                number=1,
                span=span("/components/schemas/Pet/properties/id", 12, 9),
            ),
            ir.Field(
                name="name",
                type=ir.Primitive(
                    kind=ir.PrimitiveKind.STRING,
                    format="hostname",
                    constraints=ir.Constraints(min_length=1),
                ),
                required=True,
                default=ir.Default(value="rex"),
                write_only=True,
                deprecated=True,
                doc="The name.",
                span=span("/components/schemas/Pet/properties/name"),
            ),
            ir.Field(
                name="tags",
                type=ir.Array(items=STRING, constraints=ir.Constraints(unique_items=True)),
                required=False,
                default=ir.Default(value={"nested": [1, None, {"x": True}]}),
                span=span("/components/schemas/Pet/properties/tags"),
            ),
            ir.Field(name="kin", type=nested, required=False, span=span()),
            ir.Field(
                name="weird",
                type=ir.Literal(value="fixed"),
                required=False,
                default=ir.Default(value=None),
                span=span(),
            ),
        ),
        extra=ir.ExtraPolicy.FORBID,
        doc="A pet.",
        span=span("/components/schemas/Pet", 10, 5),
    )
    cat = ir.ObjectDef(
        id="#/components/schemas/Cat",
        name="Cat",
        fields=(
            ir.Field(name="petType", type=ir.Literal(value="cat"), required=True, span=span()),
        ),
        bases=("#/components/schemas/Pet",),
        extra_values=ir.Map(values=ir.Ref(target="#/components/schemas/Pet")),
        deprecated=True,
        span=span("/components/schemas/Cat"),
    )
    dog = ir.ObjectDef(
        id="#/components/schemas/Dog",
        name="Dog",
        fields=(),
        bases=("#/components/schemas/Pet", "#/components/schemas/Cat"),
        extra_values=ir.Primitive(kind=ir.PrimitiveKind.BOOLEAN),
        span=span("/components/schemas/Dog"),
    )
    status = ir.EnumDef(
        id="#/components/schemas/Status",
        name="Status",
        py_name="Status",
        members=(
            ir.EnumMember(value="available", py_name="AVAILABLE", doc="In stock."),
            ir.EnumMember(value="sold"),
        ),
        base=ir.PrimitiveKind.STRING,
        doc="Status.",
        deprecated=True,
        span=span("/components/schemas/Status"),
    )
    level = ir.EnumDef(
        id="#/components/schemas/Level",
        name="Level",
        members=(ir.EnumMember(value=1), ir.EnumMember(value=2)),
        base=ir.PrimitiveKind.INTEGER,
        span=span("/components/schemas/Level"),
    )
    alias_targets: tuple[ir.TypeExpr, ...] = (
        pet_union,
        ir.Array(items=ir.Ref(target="#/components/schemas/Pet")),
        ir.Map(values=nested),
        ir.Primitive(kind=ir.PrimitiveKind.NUMBER, format="double", constraints=bounded),
        ir.Literal(value=True),
        ir.Ref(target="#/components/schemas/Status"),
    )
    aliases = tuple(
        ir.AliasDef(id=f"#/components/schemas/A{i}", name=f"A{i}", target=target, span=span())
        for i, target in enumerate(alias_targets)
    )
    list_pets = ir.Operation(
        id="listPets",
        method="GET",
        path="/pets/{petId}",
        py_name="list_pets",
        tag="pets",
        summary="List pets.",
        doc="Lists them.",
        parameters=(
            ir.Parameter(
                name="petId",
                location=ir.ParamLocation.PATH,
                type=INTEGER,
                required=True,
                style="simple",
                explode=False,
                py_name="pet_id",
                span=span("/paths/~1pets~1{petId}/get/parameters/0"),
            ),
            ir.Parameter(
                name="status",
                location=ir.ParamLocation.QUERY,
                type=ir.Array(items=ir.Ref(target="#/components/schemas/Status")),
                required=False,
                style="form",
                explode=True,
                default=ir.Default(value=["available"]),
                deprecated=True,
                doc="Filter.",
                span=span(),
            ),
            ir.Parameter(
                name="X-Trace",
                location=ir.ParamLocation.HEADER,
                type=STRING,
                required=False,
                style="simple",
                explode=False,
                span=span(),
            ),
            ir.Parameter(
                name="session",
                location=ir.ParamLocation.COOKIE,
                type=STRING,
                required=False,
                style="form",
                explode=True,
                span=span(),
            ),
        ),
        body=ir.RequestBody(
            media_type="application/json",
            kind=ir.BodyKind.JSON,
            type=ir.Ref(target="#/components/schemas/Pet"),
            required=True,
            doc="The pet.",
            alternatives=("application/x-www-form-urlencoded", "multipart/form-data"),
            span=span("/paths/~1pets~1{petId}/get/requestBody"),
        ),
        responses=(
            ir.Response(
                status="200",
                kind=ir.BodyKind.JSON,
                media_type="application/json",
                type=ir.Array(items=ir.Ref(target="#/components/schemas/Pet")),
                headers=(
                    ir.ResponseHeader(
                        name="X-Rate-Limit", type=INTEGER, required=True, doc="Calls left."
                    ),
                    ir.ResponseHeader(name="X-Next", type=STRING),
                ),
                doc="OK",
                span=span(),
            ),
            ir.Response(
                status="2XX", kind=ir.BodyKind.EMPTY, media_type=None, type=None, span=span()
            ),
            ir.Response(
                status="404",
                kind=ir.BodyKind.TEXT,
                media_type="text/plain",
                type=STRING,
                error_py_name="ListPetsNotFound",
                span=span(),
            ),
            ir.Response(
                status="default",
                kind=ir.BodyKind.JSON,
                media_type="application/problem+json",
                type=ir.Map(values=ir.Primitive(kind=ir.PrimitiveKind.ANY)),
                error_py_name="ListPetsError",
                span=span(),
            ),
        ),
        security=(("bearer",), ("key", "mtls"), ()),
        deprecated=True,
        idempotent=True,
        idempotency_header="Idempotency-Key",
        timeout=2.5,
        retry=ir.RetrySpec(max_attempts=5, base_delay=0.1, max_delay=3),
        circuit_breaker=ir.CircuitBreakerSpec(failure_rate=0.25, window=50, min_calls=10, open_seconds=5.0, half_open_probes=2),
        span=span("/paths/~1pets~1{petId}/get", 40, 7),
    )
    upload = ir.Operation(
        id="upload",
        method="PUT",
        path="/files",
        body=ir.RequestBody(
            media_type="application/octet-stream",
            kind=ir.BodyKind.BINARY,
            type=None,
            required=False,
            span=span(),
        ),
        security=(),
        retry=ir.RetrySpec(enabled=False),
        circuit_breaker=ir.CircuitBreakerSpec(enabled=False),
        span=span(),
    )
    ping = ir.Operation(id="ping", method="HEAD", path="/ping", span=span())  # security None
    form = ir.Operation(
        id="submit",
        method="POST",
        path="/forms",
        body=ir.RequestBody(
            media_type="multipart/form-data",
            kind=ir.BodyKind.MULTIPART,
            type=ir.Ref(target="#/components/schemas/Cat"),
            required=True,
            span=span(),
        ),
        responses=(
            ir.Response(
                status="201",
                kind=ir.BodyKind.FORM,
                media_type="application/x-www-form-urlencoded",
                type=ir.Map(values=STRING),
                span=span(),
            ),
        ),
        span=span(),
    )
    return ir.Api(
        name="Petstore",
        version="1.0.0",
        source_format="openapi-3.1",
        doc="Pets, of course.",
        servers=(
            ir.Server(
                url="https://{region}.example.com/{base}",
                variables=(
                    ir.ServerVariable(
                        name="region", default="eu", enum=("eu", "us"), doc="Region."
                    ),
                    ir.ServerVariable(name="base", default="v1"),
                ),
                doc="Production.",
            ),
            ir.Server(url="http://localhost:8080"),
        ),
        security_schemes=(
            ir.SecurityScheme(
                name="bearer",
                kind=ir.SecurityKind.HTTP,
                py_name="bearer",
                scheme="bearer",
                span=span(),
            ),
            ir.SecurityScheme(
                name="key",
                kind=ir.SecurityKind.API_KEY,
                location=ir.ParamLocation.HEADER,
                param_name="X-Api-Key",
                doc="An API key.",
                span=span(),
            ),
            ir.SecurityScheme(name="oauth", kind=ir.SecurityKind.OAUTH2, span=span()),
            ir.SecurityScheme(name="oidc", kind=ir.SecurityKind.OPENID_CONNECT, span=span()),
            ir.SecurityScheme(name="mtls", kind=ir.SecurityKind.MUTUAL_TLS, span=span()),
        ),
        security=(("bearer",), ()),
        types=(pet, cat, dog, status, level, *aliases),
        services=(
            ir.Service(
                name="pets",
                operations=(list_pets, upload),
                py_name="pets",
                class_name="Pets",
                doc="Pets.",
            ),
            ir.Service(name="", operations=(ping, form)),
        ),
        deprecated=True,
        extensions=(
            ("x-logo", {"url": "https://example.com/logo.png"}),
            ("x-flag", True),
            ("x-none", None),
            ("x-list", [1, "a"]),
        ),
        span=span("", 1, 1),
        channels=(
            ir.Channel(
                id="lights",
                address="lights/{id}",
                parameters=(ir.ChannelParameter(name="id", py_name="id", doc="Light id."),),
                messages=(
                    ir.Message(
                        name="Measured",
                        py_name="Measured",
                        payload=ir.Ref(target="#/components/schemas/Pet"),
                        headers=None,
                        correlation_id="$message.header#/correlationId",
                        span=span("/channels/lights/messages/Measured"),
                    ),
                ),
                bindings='{"amqp":{}}',
                span=span("/channels/lights"),
            ),
        ),
        message_operations=(
            ir.MessageOperation(
                id="measure",
                action="send",
                channel="lights",
                messages=("Measured",),
                reply_channel="lights",
                reply_messages=("Measured",),
                has_reply=True,
                py_name="measure",
                span=span("/operations/measure"),
            ),
        ),
    )


def minimal_api() -> ir.Api:
    return ir.Api(name="", version="", source_format="proto3", span=SourceSpan(file="x.proto"))


def proto_like_api() -> ir.Api:
    """Field numbers, integer enums, a oneOf without a discriminator, nothing HTTP-ish."""
    message = ir.ObjectDef(
        id="pkg.Message",
        name="Message",
        fields=(
            ir.Field(name="id", type=INTEGER, required=False, number=1, span=span()),
            ir.Field(
                name="payload",
                type=ir.Union(
                    variants=(
                        STRING,
                        ir.Primitive(kind=ir.PrimitiveKind.BOOLEAN),
                        ir.Ref(target="pkg.Other"),
                    )
                ),
                required=False,
                number=2,
                span=span(),
            ),
            ir.Field(
                name="labels", type=ir.Map(values=STRING), required=False, number=3, span=span()
            ),
        ),
        span=span(),
    )
    kind = ir.EnumDef(
        id="pkg.Kind",
        name="Kind",
        members=(
            ir.EnumMember(value=0, py_name="UNSPECIFIED"),
            ir.EnumMember(value=1, py_name="ONE"),
        ),
        base=ir.PrimitiveKind.INTEGER,
        span=span(),
    )
    return ir.Api(
        name="pkg", version="", source_format="proto3", types=(message, kind), span=span()
    )


@pytest.mark.parametrize("build", [full_api, minimal_api, proto_like_api], ids=lambda f: f.__name__)
def test_hand_built_apis_are_valid(validator: Any, build: Callable[[], ir.Api]) -> None:
    document = wire(build())
    assert_valid(validator, document)
    assert_valid(validator, to_json(build()))  # the in-memory form (tuples) as well


def test_full_api_reaches_every_definition(schema: dict[str, Any]) -> None:
    """The big fixture really does exercise every node kind and enum value."""
    seen_kinds: set[str] = set()
    seen_classes: set[str] = set()

    def visit(node: object) -> None:
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            seen_classes.add(type(node).__name__)
            for f in dataclasses.fields(node):
                visit(getattr(node, f.name))
        elif isinstance(node, enum.Enum):
            seen_kinds.add(f"{type(node).__name__}.{node.value}")
        elif isinstance(node, tuple):
            for item in node:
                visit(item)

    visit(full_api())
    missing_classes = set(_ir_dataclasses()) - seen_classes
    assert not missing_classes, f"full_api() never builds {sorted(missing_classes)}"
    for name, cls in _ir_enums().items():
        missing = {f"{name}.{m.value}" for m in cls} - seen_kinds
        assert not missing, f"full_api() never uses {sorted(missing)}"


EXAMPLES = sorted((REPO / "examples" / "openapi").glob("*.yaml"))


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.name)
def test_ir_target_output_of_examples_is_valid(validator: Any, spec: Path) -> None:
    """End to end: the ``ir`` target's ir.json for the example specs."""
    from wiregen.pipeline import GenerateRequest, Target, generate

    result = generate(GenerateRequest(spec=spec, package="example", targets=(Target.IR,)))
    assert result.ok, [str(d) for d in result.diagnostics]
    assert_valid(validator, json.loads(result.files["ir.json"]))


# ------------------------------------------------------------- generated type trees

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_maybe_int = st.none() | st.integers(0, 100)
_maybe_num = st.none() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False)
_constraints = st.builds(
    ir.Constraints,
    min_length=_maybe_int,
    max_length=_maybe_int,
    pattern=st.none() | st.text(max_size=4),
    minimum=_maybe_num,
    maximum=_maybe_num,
    exclusive_minimum=_maybe_num,
    exclusive_maximum=_maybe_num,
    multiple_of=_maybe_num,
    min_items=_maybe_int,
    max_items=_maybe_int,
    unique_items=st.booleans(),
)
_leaves = (
    st.builds(
        ir.Primitive,
        kind=st.sampled_from(ir.PrimitiveKind),
        format=st.none() | st.sampled_from(["date-time", "uuid", "int32"]),
        constraints=_constraints,
    )
    | st.builds(ir.Literal, value=_json_scalars)
    | st.builds(ir.Ref, target=st.text(max_size=8))
)
_type_exprs = st.recursive(
    _leaves,
    lambda inner: (
        st.builds(ir.Array, items=inner, constraints=_constraints)
        | st.builds(ir.Map, values=inner)
        | st.builds(
            ir.Union,
            variants=st.lists(inner, max_size=3).map(tuple),
            discriminator=st.none()
            | st.builds(
                ir.Discriminator,
                property=st.text(max_size=4),
                mapping=st.lists(
                    st.tuples(st.text(max_size=3), st.text(max_size=3)), max_size=2
                ).map(tuple),
            ),
        )
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=_type_exprs,
    extra=st.none() | _type_exprs,
    default=st.none() | _json_values.map(lambda v: ir.Default(value=v)),
    extensions=st.lists(st.tuples(st.text(max_size=5), _json_values), max_size=2).map(tuple),
    status=st.text(max_size=4),
)
def test_generated_apis_are_valid(
    validator: Any,
    target: ir.TypeExpr,
    extra: ir.TypeExpr | None,
    default: ir.Default | None,
    extensions: tuple[tuple[str, object], ...],
    status: str,
) -> None:
    api = ir.Api(
        name="gen",
        version="0",
        source_format="openapi-3.1",
        types=(
            ir.AliasDef(id="a", name="A", target=target, span=span()),
            ir.ObjectDef(
                id="o",
                name="O",
                fields=(
                    ir.Field(name="f", type=target, required=False, default=default, span=span()),
                ),
                extra_values=extra,
                span=span(),
            ),
        ),
        services=(
            ir.Service(
                name="s",
                operations=(
                    ir.Operation(
                        id="op",
                        method="GET",
                        path="/",
                        responses=(
                            ir.Response(
                                status=status,
                                kind=ir.BodyKind.JSON,
                                media_type=None,
                                type=target,
                                span=span(),
                            ),
                        ),
                        span=span(),
                    ),
                ),
            ),
        ),
        extensions=extensions,
        span=span(),
    )
    assert_valid(validator, wire(api))


# ------------------------------------------------------------------ broken documents


def _at(document: Any, *path: str | int) -> Any:
    for key in path:
        document = document[key]
    return document


FIELD = ("types", 0, "fields", 0)  # Pet.id
OPERATION = ("services", 0, "operations", 0)  # listPets


def _set(path: tuple[str | int, ...], key: str | int, value: Any) -> Callable[[Any], None]:
    def mutate(document: Any) -> None:
        _at(document, *path)[key] = value

    return mutate


def _delete(path: tuple[str | int, ...], key: str) -> Callable[[Any], None]:
    def mutate(document: Any) -> None:
        del _at(document, *path)[key]

    return mutate


BROKEN: dict[str, Callable[[Any], None]] = {
    "unknown type expression kind": _set((*FIELD, "type"), "kind", "tuple"),
    "primitive tagged 'primitive'": _set((*FIELD, "type"), "kind", "primitive"),
    "unknown type definition kind": _set(("types", 0), "kind", "message"),
    "type definition without kind": _delete(("types", 3), "kind"),
    "missing required field (Field.required)": _delete(FIELD, "required"),
    "missing required field (Api.span)": lambda d: d.pop("span"),
    "missing required field (SourceSpan.line)": _delete(("span",), "line"),
    "missing Union.discriminator": _delete(("types", 5, "target"), "discriminator"),
    "missing Response.is_success": _delete((*OPERATION, "responses", 0), "is_success"),
    "wrong Response.is_success": _set((*OPERATION, "responses", 2), "is_success", True),
    "extra property at the root": _set((), "generator", "wiregen"),
    "extra property on a Ref": _set(("types", 10, "target"), "nullable", True),
    "extra property on a SourceSpan": _set(("span",), "offset", 3),
    "extra property on a Primitive": _set((*FIELD, "type"), "nullable", False),
    "empty constraints written out": _set(
        (*FIELD, "type"),
        "constraints",
        {
            "min_length": None,
            "max_length": None,
            "pattern": None,
            "minimum": None,
            "maximum": None,
            "exclusive_minimum": None,
            "exclusive_maximum": None,
            "multiple_of": None,
            "min_items": None,
            "max_items": None,
            "unique_items": False,
        },
    ),
    "partial constraints": _set((*FIELD, "type"), "constraints", {"min_length": 1}),
    "unknown parameter location": _set((*OPERATION, "parameters", 0), "location", "body"),
    "unknown body kind": _set((*OPERATION, "body"), "kind", "xml"),
    "enum member value null": _set(("types", 3, "members", 0), "value", None),
    "literal value an object": _set(("types", 1, "fields", 0, "type"), "value", {"a": 1}),
    "security requirement of numbers": _set(OPERATION, "security", [[1]]),
    "api security null": _set((), "security", None),
    "extension pair too long": _set((), "extensions", [["x-a", 1, 2]]),
    "extension pair too short": _set((), "extensions", [["x-a"]]),
    "extension as an object": _set((), "extensions", {"x-a": 1}),
    "discriminator mapping as an object": _set(
        ("types", 5, "target", "discriminator"), "mapping", {"cat": "#/components/schemas/Cat"}
    ),
    "field number a string": _set(FIELD, "number", "1"),
    "line negative": _set(("span",), "line", -1),
    "retry attempts fractional": _set((*OPERATION, "retry"), "max_attempts", 2.5),
    "union variants an object": _set(("types", 5, "target"), "variants", {}),
}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_documents_are_rejected(validator: Any, name: str) -> None:
    document = wire(full_api())
    assert_valid(validator, document)
    broken = copy.deepcopy(document)
    BROKEN[name](broken)
    assert broken != document
    assert not validator.is_valid(broken), f"accepted: {name}"
