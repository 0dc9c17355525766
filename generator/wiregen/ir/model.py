"""The intermediate model: protocol-neutral, frozen, serialisable.

Frontends build it from a spec; passes return new versions of it; targets read it.
Nodes carry the raw spec name (``name``) and, once the naming pass has run, the
Python identifier to use (``py_name``). Raw names and Python names are kept apart so
a spec string can never reach generated source as an identifier by accident.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypeAlias

from wiregen.diagnostics import SourceSpan

# --------------------------------------------------------------------------- types


class PrimitiveKind(enum.StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    ANY = "any"
    """Anything at all (a schema with no type: free-form JSON value)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Constraints:
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False

    def is_empty(self) -> bool:
        return self == _NO_CONSTRAINTS


_NO_CONSTRAINTS = Constraints()


@dataclass(frozen=True, slots=True, kw_only=True)
class Primitive:
    kind: PrimitiveKind
    format: str | None = None
    constraints: Constraints = _NO_CONSTRAINTS


@dataclass(frozen=True, slots=True, kw_only=True)
class Literal:
    """A single allowed value (JSON Schema ``const`` or a one-value enum used as a tag)."""

    value: str | int | float | bool | None
    enum: str | None = None
    """Id of the EnumDef this value is a member of, when it narrows an enum-typed field."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Array:
    items: TypeExpr
    constraints: Constraints = _NO_CONSTRAINTS


@dataclass(frozen=True, slots=True, kw_only=True)
class Map:
    """An object used as a dictionary: string keys, values of one type."""

    values: TypeExpr
    keys: Primitive | None = None
    """Type of the keys when they are not strings (protobuf maps: integers, booleans)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ref:
    """A reference to a named type definition, by its id (see ``TypeDef.id``)."""

    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Discriminator:
    property: str
    """Wire name of the tag property."""
    mapping: tuple[tuple[str, str], ...] = ()
    """(tag value, type id) pairs, sorted by tag value."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Union:
    variants: tuple[TypeExpr, ...]
    discriminator: Discriminator | None = None


TypeExpr: TypeAlias = Primitive | Literal | Array | Map | Ref | Union


def nullable(expr: TypeExpr) -> TypeExpr:
    """``expr`` or null, without nesting unions or repeating null."""
    null = Primitive(kind=PrimitiveKind.NULL)
    if expr == null:
        return expr
    if isinstance(expr, Union):
        if null in expr.variants:
            return expr
        return Union(variants=(*expr.variants, null), discriminator=expr.discriminator)
    return Union(variants=(expr, null))


# ------------------------------------------------------------------ named types


@dataclass(frozen=True, slots=True, kw_only=True)
class Default:
    """A default value as it appears in the spec (plain JSON)."""

    value: object


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    name: str
    """Wire name."""
    type: TypeExpr
    required: bool
    py_name: str = ""
    default: Default | None = None
    read_only: bool = False
    write_only: bool = False
    deprecated: bool = False
    doc: str = ""
    number: int | None = None
    """Field number on the wire (protobuf)."""
    span: SourceSpan
    oneof: str = ""
    """Name of the protobuf ``oneof`` the field is a member of; empty otherwise."""
    presence: bool = False
    """Whether "not set" is distinct from the default value (protobuf explicit presence)."""
    json_name: str = ""
    """Name of the field in protobuf's JSON mapping (``json_name``); empty for other formats."""


class ExtraPolicy(enum.StrEnum):
    ALLOW = "allow"
    FORBID = "forbid"


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectDef:
    id: str
    """Unique, stable id of the definition (the JSON pointer it came from, or a synthesised path)."""
    name: str
    """Name from the spec (schema name, or a synthesised one for inline objects)."""
    fields: tuple[Field, ...]
    py_name: str = ""
    bases: tuple[str, ...] = ()
    """Ids of ObjectDefs this one extends (allOf); their fields are not repeated in ``fields``."""
    extra: ExtraPolicy = ExtraPolicy.ALLOW
    extra_values: TypeExpr | None = None
    """Type of additional properties when the spec gives one."""
    doc: str = ""
    deprecated: bool = False
    span: SourceSpan
    source_file: str = ""
    """The .proto file (as imported, e.g. ``a/v1/x.proto``) that defines it; empty otherwise."""
    reserved_numbers: tuple[tuple[int, int], ...] = ()
    """Reserved field number ranges, both ends inclusive (protobuf)."""
    reserved_names: tuple[str, ...] = ()
    """Reserved field names (protobuf)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumMember:
    value: str | int | float | bool
    py_name: str = ""
    doc: str = ""
    name: str = ""
    """The member's own name where the spec gives one (protobuf); empty otherwise."""
    deprecated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumDef:
    id: str
    name: str
    members: tuple[EnumMember, ...]
    base: PrimitiveKind
    """STRING or INTEGER (NUMBER/BOOLEAN enums are rendered as literals)."""
    py_name: str = ""
    doc: str = ""
    deprecated: bool = False
    span: SourceSpan
    source_file: str = ""
    """The .proto file (as imported) that defines it; empty otherwise."""
    reserved_numbers: tuple[tuple[int, int], ...] = ()
    """Reserved value number ranges, both ends inclusive (protobuf)."""
    reserved_names: tuple[str, ...] = ()
    """Reserved value names (protobuf)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AliasDef:
    """A named schema that is not an object or enum: array, map, primitive or union."""

    id: str
    name: str
    target: TypeExpr
    py_name: str = ""
    doc: str = ""
    deprecated: bool = False
    span: SourceSpan


TypeDef: TypeAlias = ObjectDef | EnumDef | AliasDef

# ------------------------------------------------------------------- operations


class ParamLocation(enum.StrEnum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    name: str
    location: ParamLocation
    type: TypeExpr
    required: bool
    style: str
    explode: bool
    py_name: str = ""
    default: Default | None = None
    deprecated: bool = False
    doc: str = ""
    span: SourceSpan


class BodyKind(enum.StrEnum):
    JSON = "json"
    FORM = "form"
    MULTIPART = "multipart"
    BINARY = "binary"
    TEXT = "text"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestBody:
    media_type: str
    kind: BodyKind
    type: TypeExpr | None
    required: bool
    doc: str = ""
    alternatives: tuple[str, ...] = ()
    """Other media types the spec also accepts (the first supported one is used)."""
    span: SourceSpan


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseHeader:
    name: str
    type: TypeExpr
    required: bool = False
    doc: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    status: str
    """``200``, ``2XX`` or ``default``."""
    kind: BodyKind
    media_type: str | None
    type: TypeExpr | None
    headers: tuple[ResponseHeader, ...] = ()
    doc: str = ""
    error_py_name: str = ""
    """Class name of the typed error raised for this response (non-success only)."""
    span: SourceSpan

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")


class SecurityKind(enum.StrEnum):
    HTTP = "http"
    API_KEY = "apiKey"
    OAUTH2 = "oauth2"
    OPENID_CONNECT = "openIdConnect"
    MUTUAL_TLS = "mutualTLS"


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityScheme:
    name: str
    kind: SecurityKind
    py_name: str = ""
    scheme: str | None = None
    """For HTTP: ``bearer``, ``basic``, … (lower case)."""
    location: ParamLocation | None = None
    """For apiKey: header, query or cookie."""
    param_name: str | None = None
    doc: str = ""
    span: SourceSpan


SecurityRequirement: TypeAlias = tuple[str, ...]
"""Names of schemes that must all be satisfied together; ``()`` means anonymous."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrySpec:
    """Retry settings a spec asks for (``x-wiregen-retry``); None fields keep defaults."""

    enabled: bool = True
    """``x-wiregen-retry: false`` switches retries off for the operation."""
    max_attempts: int | None = None
    base_delay: float | None = None
    max_delay: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitBreakerSpec:
    """Circuit breaker settings a spec asks for (``x-wiregen-circuit-breaker``)."""

    enabled: bool = True
    failure_rate: float | None = None
    window: int | None = None
    min_calls: int | None = None
    open_seconds: float | None = None
    half_open_probes: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    id: str
    """The operationId, or a name derived from method and path."""
    method: str
    """Upper case HTTP method."""
    path: str
    py_name: str = ""
    tag: str | None = None
    summary: str = ""
    doc: str = ""
    parameters: tuple[Parameter, ...] = ()
    body: RequestBody | None = None
    responses: tuple[Response, ...] = ()
    security: tuple[SecurityRequirement, ...] | None = None
    """None: no requirement at all (not even declared); otherwise OR of AND-sets."""
    deprecated: bool = False
    idempotent: bool = False
    idempotency_header: str | None = None
    timeout: float | None = None
    """Deadline of one call in seconds (``x-wiregen-timeout``), all attempts included."""
    retry: RetrySpec | None = None
    circuit_breaker: CircuitBreakerSpec | None = None
    span: SourceSpan
    client_streaming: bool = False
    """RPCs: the client sends a stream of request messages."""
    server_streaming: bool = False
    """RPCs: the server answers with a stream of response messages."""
    idempotency_level: str = ""
    """RPCs: protobuf's ``idempotency_level`` (``NO_SIDE_EFFECTS``, ``IDEMPOTENT``) or empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """Operations grouped for one client attribute / server class (an OpenAPI tag)."""

    name: str
    """Tag name; empty for operations without a tag."""
    operations: tuple[Operation, ...]
    py_name: str = ""
    """snake_case attribute / keyword name."""
    class_name: str = ""
    """PascalCase base for class names (``<X>Api``, ``<X>Service``)."""
    doc: str = ""
    package: str = ""
    """RPC services: the protobuf package (``a.b.v1``); ``name`` is then the full name."""
    deprecated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerVariable:
    name: str
    default: str
    enum: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    url: str
    variables: tuple[ServerVariable, ...] = ()
    doc: str = ""


# -------------------------------------------------------------------- messaging


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelParameter:
    """A ``{name}`` placeholder of a channel address (AsyncAPI)."""

    name: str
    py_name: str = ""
    doc: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A message a channel carries (AsyncAPI): payload and headers as IR types."""

    name: str
    py_name: str = ""
    title: str = ""
    doc: str = ""
    payload: TypeExpr | None = None
    headers: TypeExpr | None = None
    content_type: str = "application/json"
    correlation_id: str = ""
    """Runtime expression locating the correlation id (``$message.header#/correlationId``); empty if none."""
    span: SourceSpan


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """An address messages are sent to (AsyncAPI channel)."""

    id: str
    address: str
    """Address with ``{parameter}`` placeholders."""
    parameters: tuple[ChannelParameter, ...] = ()
    messages: tuple[Message, ...] = ()
    bindings: str = ""
    """Protocol bindings of the channel as canonical JSON; empty when none."""
    doc: str = ""
    span: SourceSpan


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageOperation:
    """What the application does on a channel: ``send`` or ``receive``."""

    id: str
    action: str
    """``send`` or ``receive`` (AsyncAPI 2.x ``subscribe`` = send, ``publish`` = receive)."""
    channel: str
    """Id of the channel."""
    messages: tuple[str, ...] = ()
    """Names of the channel's messages this operation carries (all when empty)."""
    reply_channel: str = ""
    """Id of the reply channel; empty when the reply goes to the requester's reply-to address."""
    reply_messages: tuple[str, ...] = ()
    has_reply: bool = False
    py_name: str = ""
    summary: str = ""
    doc: str = ""
    deprecated: bool = False
    bindings: str = ""
    """Protocol bindings of the operation as canonical JSON; empty when none."""
    span: SourceSpan


@dataclass(frozen=True, slots=True, kw_only=True)
class Api:
    name: str
    """The API title."""
    version: str
    """The API's own version (``info.version``)."""
    source_format: str
    """``openapi-3.0``, ``openapi-3.1``, ``asyncapi-3.0``, ``proto3`` …"""
    doc: str = ""
    servers: tuple[Server, ...] = ()
    security_schemes: tuple[SecurityScheme, ...] = ()
    security: tuple[SecurityRequirement, ...] = ()
    types: tuple[TypeDef, ...] = ()
    services: tuple[Service, ...] = ()
    deprecated: bool = False
    extensions: tuple[tuple[str, object], ...] = field(default=())
    span: SourceSpan
    channels: tuple[Channel, ...] = ()
    """Message channels (AsyncAPI); empty for other formats."""
    message_operations: tuple[MessageOperation, ...] = ()
    """Send and receive operations on the channels (AsyncAPI)."""

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(op for service in self.services for op in service.operations)
