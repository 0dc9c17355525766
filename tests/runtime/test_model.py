"""WireModel serialisation fidelity and the Binary field type."""

from __future__ import annotations

import io
import json
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from wiregen.runtime.files import Binary
from wiregen.runtime.model import WireModel


class Leaf(WireModel):
    value: int
    note: str | None = None


class Node(WireModel):
    model_config = ConfigDict(extra="allow")
    node_id: str = Field(alias="nodeId")
    display_name: str | None = Field(default=None, alias="displayName")
    children: list[Node] | None = None
    leaf: Leaf | None = None
    limit: int = 10
    kind: Literal["node"] = "node"


class Cat(WireModel):
    pet_type: Literal["cat"] = Field(alias="petType")
    meows: bool | None = None


class Dog(WireModel):
    pet_type: Literal["dog"] = Field(alias="petType")
    barks: bool | None = None


Animal = Annotated[Cat | Dog, Field(discriminator="pet_type")]


def test_round_trip_omits_unset_optional_none_fields() -> None:
    wire = {
        "nodeId": "a",
        "children": [
            {"nodeId": "b", "leaf": {"value": 1}, "limit": 1, "kind": "node"},
            {"nodeId": "c", "limit": 10, "kind": "node", "x-extra": [1]},
        ],
        "limit": 10,
        "kind": "node",
        "custom": {"k": "v"},
    }
    node = Node.model_validate(wire)
    assert node.model_dump(by_alias=True, mode="json") == wire
    assert json.loads(node.model_dump_json(by_alias=True)) == wire


def test_explicit_none_is_kept() -> None:
    wire = {"nodeId": "a", "displayName": None, "leaf": {"value": 1, "note": None}}
    node = Node.model_validate(wire)
    out = node.model_dump(by_alias=True, mode="json")
    assert out["displayName"] is None
    assert out["leaf"] == {"value": 1, "note": None}
    node = Node.model_validate({"node_id": "x", "display_name": None})
    assert node.model_dump(mode="json") == {
        "node_id": "x",
        "display_name": None,
        "limit": 10,
        "kind": "node",
    }


def test_python_mode_keeps_all_fields() -> None:
    assert Leaf(value=1).model_dump() == {"value": 1, "note": None}


def test_validate_by_name_and_alias() -> None:
    assert Node(nodeId="a").node_id == "a"
    assert Node(node_id="a").node_id == "a"  # type: ignore[call-arg]  # by name: runtime only
    assert Node.model_validate({"node_id": "a", "display_name": "n"}).display_name == "n"


def test_discriminated_unions_and_lists() -> None:
    ta = TypeAdapter(list[Animal])
    wire = [{"petType": "cat"}, {"petType": "dog", "barks": True}]
    pets = ta.validate_python(wire)
    assert isinstance(pets[0], Cat) and isinstance(pets[1], Dog)
    assert ta.dump_python(pets, by_alias=True, mode="json") == wire
    assert json.loads(ta.dump_json(pets, by_alias=True)) == wire


def test_json_schema_still_describes_fields() -> None:
    for mode in ("validation", "serialization"):  # type: Literal["validation", "serialization"]
        schema = Node.model_json_schema(mode=mode)
        if "$ref" in schema:  # recursive models are emitted as a reference
            schema = schema["$defs"][schema["$ref"].rsplit("/", 1)[1]]
        assert "nodeId" in schema["properties"], mode
        assert schema["required"] == ["nodeId"]


def test_deferred_build() -> None:
    class Late(WireModel):
        x: int

    assert not Late.__pydantic_complete__ or Late.model_config.get("defer_build")
    assert Late(x=1).x == 1


json_leaf = st.fixed_dictionaries(
    {"value": st.integers()}, optional={"note": st.none() | st.text()}
)
json_node = st.recursive(
    st.fixed_dictionaries(
        {"nodeId": st.text()},
        optional={
            "displayName": st.none() | st.text(),
            "leaf": json_leaf,
            "limit": st.integers(),
            "extraKey": st.integers(),
        },
    ),
    lambda inner: st.fixed_dictionaries(
        {"nodeId": st.text()}, optional={"children": st.lists(inner, max_size=3)}
    ),
    max_leaves=6,
)


@given(json_node)
def test_round_trip_property(wire: dict[str, Any]) -> None:
    out = Node.model_validate(wire).model_dump(by_alias=True, mode="json")
    expected = dict(wire)
    expected.setdefault("limit", 10)
    expected.setdefault("kind", "node")

    def fill(d: dict[str, Any]) -> dict[str, Any]:
        d = dict(d)
        d.setdefault("limit", 10)
        d.setdefault("kind", "node")
        if "children" in d:
            d["children"] = [fill(c) for c in d["children"]]
        return d

    assert out == fill(wire)


# -- Binary ----------------------------------------------------------------------


class Upload(WireModel):
    file: Binary
    many: list[Binary] | None = None


@pytest.mark.parametrize(
    "value",
    [b"raw", io.BytesIO(b"f"), ("a.txt", b"x", "text/plain"), ("b.bin", io.BytesIO(b"y"), "a/b")],
)
def test_binary_accepts_file_likes(value: Any) -> None:
    assert Upload(file=value).file is value or Upload(file=value).file == value


def test_binary_normalises_and_rejects() -> None:
    assert Upload(file=bytearray(b"ab")).file == b"ab"  # type: ignore[arg-type]
    assert Upload(file=("n", b"c")).file == ("n", b"c", None)  # type: ignore[arg-type,comparison-overlap]
    for bad in ("text", 3, ("a", "not bytes", "t"), (1, b"x", "t")):
        with pytest.raises(ValidationError, match="binary file object"):
            Upload(file=bad)  # type: ignore[arg-type]


def test_binary_schema() -> None:
    schema = Upload.model_json_schema()
    assert schema["properties"]["file"] == {"format": "binary", "title": "File", "type": "string"}
