"""The OpenAPI JSON Schemas (as bundled by openapi-spec-validator), compiled once.

For 3.1 and 3.2 the bundled ``schema.json`` deliberately leaves Schema Objects
unchecked (``{"$dynamicAnchor": "meta", "type": ["object", "boolean"]}``). The
specification's companion "schema-base" closes that gap by binding the ``meta``
dynamic anchor to the OAS dialect; we build the same wrapper in memory from the
dialect files that openapi-schema-validator ships, so Schema Objects are checked
against JSON Schema 2020-12 plus the OAS vocabulary in the same single pass.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

import jsonschema_rs

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# version -> (dialect file, vocabulary file) inside the openapi_schema_validator package
_DIALECT_FILES = {
    "3.1": ("schemas/oas3.1/metaschema.json", "schemas/oas3.1/vocabularies/base"),
    "3.2": ("schemas/oas3.2/dialect/2025-09-17.json", "schemas/oas3.2/meta/2025-09-17.json"),
}


def _read(package: str, relative: str) -> Any:
    """A JSON data file shipped inside ``package``, read without importing the package
    (importing openapi-spec-validator costs ~0.2 s; we only need its schema files)."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise FileNotFoundError(f"package {package!r} is not installed")
    return json.loads(Path(locations[0], *relative.split("/")).read_text(encoding="utf-8"))


def _document_schema(version: str) -> Any:
    return _read("openapi_spec_validator", f"resources/schemas/v{version}/schema.json")


def _dialect_resources(version: str) -> list[Any] | None:
    """The dialect and vocabulary schemas for ``version``; None when unavailable."""
    names = _DIALECT_FILES.get(version)
    if names is None:
        return None
    try:
        return [_read("openapi_schema_validator", name) for name in names]
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError):
        return None


def default_dialect(version: str) -> str | None:
    resources = _dialect_resources(version)
    return str(resources[0]["$id"]) if resources else None


@functools.cache
def validator(version: str, dialect: str | None = None) -> jsonschema_rs.Validator:
    """A compiled validator for OpenAPI ``version`` ("3.0", "3.1", "3.2").

    ``dialect`` is the document's ``jsonSchemaDialect``; Schema Objects are checked
    only for dialects we have (the OAS one, plain 2020-12), otherwise left alone.
    Formats are not checked: the OAS schemas use ``regex``, ``uri-reference`` and
    ``email``, and a pattern written for another regex engine is not a broken document.
    """
    document = _document_schema(version)
    resources = _dialect_resources(version)
    if resources is None:
        return jsonschema_rs.validator_for(document, validate_formats=False)
    own_dialect = str(resources[0]["$id"])
    dialect = dialect or own_dialect
    if dialect not in (own_dialect, DRAFT_2020_12):
        return jsonschema_rs.validator_for(document, validate_formats=False)
    registry = jsonschema_rs.Registry(
        [(str(document["$id"]), document)] + [(str(item["$id"]), item) for item in resources]
    )
    schema_base = {
        "$id": f"https://wiregen.invalid/oas/{version}/schema-base",
        "$schema": DRAFT_2020_12,
        "$ref": document["$id"],
        "$defs": {"schema": {"$dynamicAnchor": "meta", "$ref": dialect}},
    }
    return jsonschema_rs.validator_for(schema_base, registry=registry, validate_formats=False)
