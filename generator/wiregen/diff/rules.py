"""The catalogue of ``wiregen diff`` rules: one stable code per kind of change.

A code never changes meaning and never changes severity: users filter on codes,
suppress them and link to their documentation (``docs/diff-rules.md``, checked
against this table by the tests). Where the same edit is harmless in one direction
and breaking in the other (a property removed from what the API *accepts* vs from
what it *returns*), the two are separate rules.

Direction words: *request* is what the API accepts (OpenAPI request parameters and
bodies; AsyncAPI messages the application receives); *response* is what it emits
(OpenAPI responses; AsyncAPI messages it sends). A type used both ways gets the
stricter verdict of the two.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    BREAKING = "breaking"
    WARNING = "warning"
    NON_BREAKING = "non-breaking"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.NON_BREAKING: 0, Severity.WARNING: 1, Severity.BREAKING: 2}


class Kind(enum.StrEnum):
    """What a change does to the API surface; decides the version bump it needs."""

    ADDITION = "addition"
    """Something new: needs a minor bump."""
    REMOVAL = "removal"
    CHANGE = "change"
    DEPRECATION = "deprecation"
    """Needs a minor bump, like an addition."""
    VERSION = "version"
    """A finding of the version gate itself."""


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    slug: str
    severity: Severity
    kind: Kind
    formats: str
    """Which formats it applies to: any of ``openapi asyncapi proto``."""
    title: str


B, W, N = Severity.BREAKING, Severity.WARNING, Severity.NON_BREAKING
ADD, REM, CHG, DEP, VER = Kind.ADDITION, Kind.REMOVAL, Kind.CHANGE, Kind.DEPRECATION, Kind.VERSION
ALL = "openapi asyncapi proto"
SCHEMA = "openapi asyncapi"

_TABLE: tuple[Rule, ...] = (
    # -- operations, services, channels, messages, named types
    Rule("D101", "operation-removed", B, REM, ALL, "An operation, RPC or AsyncAPI operation was removed"),
    Rule("D102", "operation-added", N, ADD, ALL, "An operation, RPC or AsyncAPI operation was added"),
    Rule("D103", "service-removed", B, REM, "proto", "A gRPC service was removed"),
    Rule("D104", "service-added", N, ADD, "proto", "A gRPC service was added"),
    Rule("D105", "channel-removed", B, REM, "asyncapi", "A channel was removed"),
    Rule("D106", "channel-added", N, ADD, "asyncapi", "A channel was added"),
    Rule("D107", "message-removed", B, REM, "asyncapi", "A message was removed from a channel or an operation"),
    Rule("D108", "message-added", N, ADD, "asyncapi", "A message was added to a channel"),
    Rule("D109", "type-removed", W, REM, ALL, "A named schema, message or enum no longer exists"),
    Rule("D110", "type-added", N, ADD, ALL, "A named schema, message or enum was added"),
    Rule("D111", "operation-id-changed", W, CHG, "openapi", "The operationId of an operation changed"),
    # -- schemas (OpenAPI and AsyncAPI payloads)
    Rule("D201", "request-property-removed", W, REM, SCHEMA, "A property the API accepts was removed"),
    Rule("D202", "response-property-removed", B, REM, SCHEMA, "A property the API returns was removed"),
    Rule("D203", "request-property-added-required", B, ADD, SCHEMA, "A new required property in what the API accepts"),
    Rule("D204", "request-property-added", N, ADD, SCHEMA, "A new optional property in what the API accepts"),
    Rule("D205", "response-property-added", N, ADD, SCHEMA, "A new property in what the API returns"),
    Rule("D206", "request-property-became-required", B, CHG, SCHEMA, "An accepted property became required"),
    Rule("D207", "request-property-became-optional", N, CHG, SCHEMA, "An accepted property became optional"),
    Rule("D208", "response-property-became-optional", B, CHG, SCHEMA, "A returned property became optional"),
    # Wire-compatible for readers, but the generated model now requires the property:
    # code that builds it (a server implementation, test fixtures) must set it.
    Rule("D209", "response-property-became-required", W, CHG, SCHEMA, "A returned property became required"),
    Rule("D210", "type-changed", B, CHG, SCHEMA, "The type of a value changed"),
    Rule("D211", "format-changed", B, CHG, SCHEMA, "The format of a value changed"),
    Rule("D212", "request-enum-value-removed", B, REM, SCHEMA, "An enum value the API accepted is gone"),
    Rule("D213", "response-enum-value-removed", W, REM, SCHEMA, "An enum value the API returned is gone"),
    Rule("D214", "request-enum-value-added", N, ADD, SCHEMA, "The API accepts a new enum value"),
    Rule("D215", "response-enum-value-added", B, ADD, SCHEMA, "The API may return a new enum value"),
    Rule("D216", "request-narrowed", B, CHG, SCHEMA, "The API accepts fewer values (tighter limit, new pattern or format, narrower type)"),
    Rule("D217", "request-widened", N, CHG, SCHEMA, "The API accepts more values"),
    Rule("D218", "response-widened", B, CHG, SCHEMA, "The API may return values it did not before"),
    Rule("D219", "response-narrowed", N, CHG, SCHEMA, "The API returns fewer kinds of values"),
    Rule("D220", "request-nullable-removed", B, CHG, SCHEMA, "An accepted value may no longer be null"),
    Rule("D221", "response-nullable-added", B, CHG, SCHEMA, "A returned value may now be null"),
    Rule("D222", "request-nullable-added", N, CHG, SCHEMA, "An accepted value may now be null"),
    Rule("D223", "response-nullable-removed", N, CHG, SCHEMA, "A returned value is no longer null"),
    Rule("D224", "request-variant-removed", B, REM, SCHEMA, "A oneOf/anyOf alternative the API accepted is gone"),
    Rule("D225", "response-variant-added", B, ADD, SCHEMA, "The API may return a new oneOf/anyOf alternative"),
    Rule("D226", "request-variant-added", N, ADD, SCHEMA, "The API accepts a new oneOf/anyOf alternative"),
    Rule("D227", "response-variant-removed", N, REM, SCHEMA, "A oneOf/anyOf alternative the API returned is gone"),
    Rule("D228", "default-changed", W, CHG, SCHEMA, "The default value changed"),
    Rule("D229", "request-additional-properties-forbidden", B, CHG, SCHEMA, "The API no longer accepts undeclared properties"),
    # Like D209: readers are fine, code that builds the generated model must set it.
    Rule("D230", "response-property-added-required", W, ADD, SCHEMA, "A new required property in what the API returns"),
    # -- HTTP operations
    Rule("D301", "parameter-removed", B, REM, "openapi", "A parameter was removed"),
    Rule("D302", "parameter-added-required", B, ADD, "openapi", "A new required parameter"),
    Rule("D303", "parameter-added", N, ADD, "openapi", "A new optional parameter"),
    Rule("D304", "parameter-became-required", B, CHG, "openapi", "A parameter became required"),
    Rule("D305", "parameter-became-optional", N, CHG, "openapi", "A parameter became optional"),
    Rule("D306", "parameter-location-changed", B, CHG, "openapi", "A parameter moved (e.g. from query to header)"),
    Rule("D307", "path-changed", B, CHG, "openapi", "The path of an operation changed"),
    Rule("D308", "method-changed", B, CHG, "openapi", "The HTTP method of an operation changed"),
    Rule("D309", "parameter-style-changed", B, CHG, "openapi", "A parameter's serialisation (style, explode) changed"),
    Rule("D310", "path-parameter-renamed", W, CHG, "openapi", "A path parameter was renamed (the wire is unchanged)"),
    Rule("D311", "request-body-added-required", B, ADD, "openapi", "A required request body was added"),
    Rule("D312", "request-body-became-required", B, CHG, "openapi", "The request body became required"),
    Rule("D313", "request-body-removed", B, REM, "openapi", "The request body was removed"),
    Rule("D314", "request-body-added", N, ADD, "openapi", "An optional request body was added"),
    Rule("D315", "request-content-type-removed", B, REM, "openapi", "A request media type is no longer accepted"),
    Rule("D316", "request-content-type-added", N, ADD, "openapi", "A request media type is now accepted"),
    Rule("D317", "response-removed", B, REM, "openapi", "A success response was removed"),
    Rule("D318", "response-added", W, ADD, "openapi", "A new success response status"),
    Rule("D319", "error-response-removed", W, REM, "openapi", "A documented error response was removed"),
    Rule("D320", "error-response-added", N, ADD, "openapi", "A new documented error response"),
    Rule("D321", "response-content-type-changed", B, CHG, "openapi", "A response's media type changed"),
    Rule("D322", "response-header-removed", B, REM, "openapi", "A response header was removed"),
    Rule("D323", "response-header-added", N, ADD, "openapi", "A response header was added"),
    # Readers are fine; a server implementation must now produce the body (cf. D230).
    Rule("D324", "response-body-added", W, ADD, "openapi", "A response that had no body now has one"),
    # -- protobuf
    Rule("D401", "field-number-reused", B, CHG, "proto", "A new field or value uses a number reserved before"),
    Rule("D402", "field-renamed", B, CHG, "proto", "A field was renamed (its JSON name changes)"),
    Rule("D403", "json-name-changed", B, CHG, "proto", "A field's json_name changed"),
    Rule("D404", "field-type-changed", B, CHG, "proto", "A field's type changed incompatibly on the wire or in JSON"),
    Rule("D405", "field-type-compatible", W, CHG, "proto", "A field's type changed compatibly (e.g. int32 to uint32)"),
    Rule("D406", "cardinality-changed", B, CHG, "proto", "A field changed between singular, repeated and map"),
    Rule("D407", "oneof-changed", B, CHG, "proto", "A field moved into, out of or between oneofs"),
    Rule("D408", "reserved-removed", B, REM, "proto", "A reserved number range or name was removed"),
    Rule("D409", "field-deleted", B, REM, "proto", "A field was deleted without reserving its number and name"),
    Rule("D410", "field-deleted-reserved", W, REM, "proto", "A field was deleted and its number and name reserved"),
    Rule("D411", "enum-value-deleted", B, REM, "proto", "An enum value was deleted without reserving its number and name"),
    Rule("D412", "enum-value-deleted-reserved", W, REM, "proto", "An enum value was deleted and reserved"),
    Rule("D413", "enum-value-renamed", B, CHG, "proto", "An enum value was renamed (its JSON form changes)"),
    Rule("D414", "streaming-changed", B, CHG, "proto", "An RPC changed its client or server streaming"),
    Rule("D415", "rpc-type-changed", B, CHG, "proto", "An RPC's request or response message type changed"),
    Rule("D416", "package-changed", B, CHG, "proto", "A file moved to another package"),
    Rule("D417", "idempotency-changed", B, CHG, "proto", "An RPC's idempotency_level changed"),
    Rule("D418", "presence-changed", W, CHG, "proto", "A field gained or lost explicit presence (optional)"),
    Rule("D419", "required-changed", B, CHG, "proto", "A proto2 required field was added, removed or changed"),
    Rule("D420", "field-added", N, ADD, "proto", "A field was added"),
    Rule("D421", "enum-value-added", N, ADD, "proto", "An enum value was added"),
    # -- AsyncAPI
    Rule("D501", "address-changed", B, CHG, "asyncapi", "A channel's address changed"),
    Rule("D502", "action-changed", B, CHG, "asyncapi", "An operation changed between send and receive"),
    Rule("D503", "operation-channel-changed", B, CHG, "asyncapi", "An operation moved to another channel"),
    Rule("D504", "channel-parameter-changed", B, CHG, "asyncapi", "A channel address parameter was added or removed"),
    Rule("D505", "message-content-type-changed", B, CHG, "asyncapi", "A message's content type changed"),
    Rule("D506", "reply-changed", B, CHG, "asyncapi", "An operation gained or lost its reply"),
    Rule("D507", "correlation-id-changed", W, CHG, "asyncapi", "Where a message's correlation id is read from changed"),
    Rule("D508", "bindings-changed", W, CHG, "asyncapi", "Protocol bindings of a channel or operation changed"),
    # -- security
    Rule("D601", "security-added", B, CHG, "openapi", "An operation now requires authentication it did not"),
    Rule("D602", "security-alternative-removed", B, REM, "openapi", "A way of authenticating is no longer accepted"),
    Rule("D603", "security-relaxed", N, ADD, "openapi", "An operation accepts more ways of authenticating"),
    Rule("D604", "security-scheme-changed", B, CHG, "openapi", "A security scheme in use changed type, location or name"),
    # -- deprecation and versions
    Rule("D701", "deprecated", N, DEP, ALL, "Something was marked deprecated"),
    Rule("D702", "removed-without-deprecation", W, REM, ALL, "Something was removed without being deprecated first"),
    Rule("D703", "major-bump-missing", B, VER, ALL, "Breaking changes without a new major version"),
    Rule("D704", "minor-bump-missing", W, VER, SCHEMA, "Additions without a new minor version"),
    Rule("D705", "version-unparsable", W, VER, SCHEMA, "The version is not a semantic version; the bump cannot be checked"),
    Rule("D706", "unstable-package-breaking", W, VER, "proto", "Breaking changes in an alpha or beta package"),
    Rule("D707", "version-decreased", B, VER, SCHEMA, "The version went backwards"),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _TABLE}
BY_SLUG: dict[str, Rule] = {rule.slug: rule for rule in _TABLE}

del B, W, N, ADD, REM, CHG, DEP, VER
