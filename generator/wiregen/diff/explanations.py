"""What each rule of :mod:`wiregen.diff.rules` means, and why it has its severity.

The prose of ``docs/diff-rules.md``: ``tools/diff_rules_doc.py`` renders the document
from this table, the rule catalogue and the rule pairs of ``tests/diff/pairs``, and
a test fails when a rule has no explanation here or the committed document is stale.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Explanation:
    meaning: str
    """What the rule reports, and how wiregen finds it."""
    why: str
    """Why it has its severity."""


def _x(meaning: str, why: str) -> Explanation:
    return Explanation(meaning, why)


EXPLANATIONS: dict[str, Explanation] = {
    # -- operations, services, channels, messages, named types
    "D101": _x(
        "An operation is gone. OpenAPI operations are matched by method and path template "
        "(placeholder names ignored), then by operationId; RPCs by service and method name; "
        "AsyncAPI operations by their key (3.0) or operationId (2.6).",
        "Every caller of it fails: 404 or 405 over HTTP, UNIMPLEMENTED over gRPC, and for "
        "messaging nobody sends or handles those messages any more. The generated client, "
        "server or app loses the method.",
    ),
    "D102": _x(
        "A new operation, RPC or AsyncAPI operation.",
        "Nothing that exists changes. It is an addition: the version needs a minor bump.",
    ),
    "D103": _x(
        "A gRPC service is gone (reported once, not once per RPC).",
        "All its RPCs answer UNIMPLEMENTED and the generated stub class disappears.",
    ),
    "D104": _x(
        "A new gRPC service (its RPCs are not reported one by one).",
        "Nothing that exists changes; an addition needs a minor bump (in proto, the package "
        "version does not move for additions).",
    ),
    "D105": _x(
        "An AsyncAPI channel (by key in 3.0, by address in 2.6) is gone. Its operations are "
        "reported as removed too (D101).",
        "Publishers to the address reach nobody and subscribers wait for messages that never come.",
    ),
    "D106": _x(
        "A new AsyncAPI channel. A 3.0 channel whose key was renamed but whose address stayed "
        "the same is matched by address and not reported.",
        "Nothing that exists changes.",
    ),
    "D107": _x(
        "A message is no longer on a channel, or an operation no longer carries a message that "
        "is still on its channel. A message gone from the channel is reported once, there.",
        "Producers of that message are rejected by a consumer that no longer knows it; consumers "
        "that relied on receiving it never do. The generated message class disappears.",
    ),
    "D108": _x(
        "A new message on an existing channel the application receives on.",
        "Existing messages are unchanged and the application accepts one kind more. On a "
        "channel the application sends on, the same edit is D225: consumers would receive a "
        "kind of message they do not know.",
    ),
    "D109": _x(
        "A named schema (OpenAPI/AsyncAPI `components/schemas`), or a protobuf message or "
        "enum, no longer exists. Inline schemas are reported where they were used. In "
        "AsyncAPI, a message whose inline payload or headers schema was dropped reports the "
        "lost model here too.",
        "A type by itself is not on the wire: every place that used it reports its own change. "
        "But the generated model class is gone and code importing it breaks, hence a warning.",
    ),
    "D110": _x(
        "A new named schema, protobuf message or enum.",
        "Nothing that exists changes.",
    ),
    "D111": _x(
        "The operationId of an operation (same method and path) changed.",
        "The wire is the same, but the generated client method and server handler are named "
        "after the operationId: code calling or implementing the old name breaks.",
    ),
    # -- schemas
    "D201": _x(
        "A property of a schema the API accepts (request bodies and parameters; messages an "
        "AsyncAPI application receives) is gone. `writeOnly` properties count as accepted only.",
        "Senders that still include it are usually fine: unknown properties are ignored unless "
        "the schema forbids them (that change is D229). The generated model loses the field, "
        "so code setting it breaks: a warning.",
    ),
    "D202": _x(
        "A property of a schema the API returns (responses; messages an AsyncAPI application "
        "sends) is gone. `readOnly` properties count as returned only.",
        "Clients reading it get nothing: a missing key, a validation error in a generated "
        "model, or silently wrong behaviour.",
    ),
    "D203": _x(
        "A new property in an accepted schema, and it is required.",
        "Every existing sender omits it and is now rejected.",
    ),
    "D204": _x(
        "A new optional property in an accepted schema.",
        "Existing senders omit it, which stays valid.",
    ),
    "D205": _x(
        "A new optional property in a returned schema.",
        "Readers ignore properties they do not know (generated models accept extra properties).",
    ),
    "D206": _x(
        "A property of an accepted schema was optional and is now required.",
        "Senders that omit it are now rejected.",
    ),
    "D207": _x(
        "A required property of an accepted schema became optional.",
        "Everything that was valid stays valid.",
    ),
    "D208": _x(
        "A required property of a returned schema became optional.",
        "Clients that rely on it being present fail when it is absent; the generated model "
        "makes it `Optional`, which type-checked client code must now handle.",
    ),
    "D209": _x(
        "An optional property of a returned schema became required.",
        "Readers are fine: what they got before they still get. But the generated model now "
        "requires the property, so code that builds it (a server implementation, test "
        "fixtures) must set it: a warning.",
    ),
    "D210": _x(
        "A value's type changed to an unrelated one (string to integer, object to array, a "
        "oneOf with nothing in common with the old type, a typed body to an untyped one).",
        "Values of the old type are invalid under the new one, whichever way they travel.",
    ),
    "D211": _x(
        "A value's `format` changed from one format to another (`date` to `date-time`, "
        "`int32` to `int64`). Adding or removing a format is a narrowing or widening "
        "(D216 to D219).",
        "Both sides parse and produce the value differently; generated code types it "
        "differently (`date` vs `datetime`).",
    ),
    "D212": _x(
        "An enum value the API accepted is gone.",
        "Senders that use it are now rejected.",
    ),
    "D213": _x(
        "An enum value the API returned is gone.",
        "No reader fails: the value just stops appearing, and code handling it is dead. A "
        "warning, because it usually means behaviour changed.",
    ),
    "D214": _x(
        "An accepted enum gained a value.",
        "Everything that was valid stays valid.",
    ),
    "D215": _x(
        "A returned enum gained a value.",
        "Readers with an exhaustive enum fail on a value they do not know, and generated "
        "clients are such readers: wiregen's models (pydantic enums) reject the response, as "
        "do most generated clients. Breaking, like a new `oneOf` alternative (D225). An API "
        "whose contract says enums are open can filter this code.",
    ),
    "D216": _x(
        "An accepted value admits fewer values: a new or tighter `minimum`/`maximum` "
        "(inclusive or exclusive, compared as one bound), `minLength`/`maxLength`, "
        "`minItems`/`maxItems`, a new `pattern`, `multipleOf`, `uniqueItems` or "
        "`format`, a narrower type (`number` to `integer`), a value now fixed by "
        "`const`, or an AsyncAPI message that gained a payload or headers schema. A "
        "pattern changed into an unrelated one is reported here too: it rejects some old values.",
        "Senders of values that were valid and no longer are get rejected.",
    ),
    "D217": _x(
        "An accepted value admits more values (the reverse of D216).",
        "Everything that was valid stays valid.",
    ),
    "D218": _x(
        "A returned value may take values it could not before (the reverse of D219): a limit, "
        "pattern or format removed, a wider type, a changed pattern, a message that lost its "
        "payload or headers schema.",
        "Readers that validate, or that rely on the old limits (buffer sizes, ranges), fail "
        "on the new values.",
    ),
    "D219": _x(
        "A returned value admits fewer values.",
        "Readers only ever see values that were valid before.",
    ),
    "D220": _x(
        "An accepted value may no longer be null (OpenAPI 3.0 `nullable`, 3.1 and AsyncAPI "
        "`type: [..., 'null']`).",
        "Senders that send null are rejected.",
    ),
    "D221": _x(
        "A returned value may now be null.",
        "Readers that do not expect null crash on it; the generated model makes it "
        "`Optional`.",
    ),
    "D222": _x(
        "An accepted value may now be null.",
        "Everything that was valid stays valid.",
    ),
    "D223": _x(
        "A returned value is no longer null.",
        "Readers only see values that were valid before.",
    ),
    "D224": _x(
        "A `oneOf`/`anyOf` alternative of an accepted value is gone (alternatives are "
        "matched by schema name, or by kind for unnamed ones).",
        "Senders that use that alternative are rejected.",
    ),
    "D225": _x(
        "A returned `oneOf`/`anyOf` gained an alternative, or a channel the application "
        "sends on gained a message.",
        "Readers that dispatch over the alternatives they know (generated unions included) "
        "fail on the new one; a generated consumer dead-letters a message it cannot decode.",
    ),
    "D226": _x(
        "An accepted `oneOf`/`anyOf` gained an alternative.",
        "Everything that was valid stays valid.",
    ),
    "D227": _x(
        "A returned `oneOf`/`anyOf` lost an alternative.",
        "Readers only see alternatives they knew.",
    ),
    "D228": _x(
        "The `default` of a property or of a parameter changed from one value to another.",
        "The wire is the same, but clients that omit the value now get different behaviour, "
        "silently.",
    ),
    "D229": _x(
        "An accepted object schema now says `additionalProperties: false`.",
        "Senders that include any property not declared (older clients still sending a "
        "removed property, extensions) are rejected.",
    ),
    "D230": _x(
        "A new property in a returned schema, and it is required.",
        "Readers are fine, as with D205. But the generated model requires it, so code that "
        "builds it (a server implementation, test fixtures) must set it: a warning.",
    ),
    # -- HTTP operations
    "D301": _x(
        "A parameter (path, query, header or cookie) is gone from an operation.",
        "Clients that send it either change the URL (path) or send something the server no "
        "longer honours; the generated client loses the argument and calls passing it break.",
    ),
    "D302": _x(
        "A new required parameter.",
        "Every existing request lacks it and is rejected; generated calls lack the argument.",
    ),
    "D303": _x(
        "A new optional parameter.",
        "Existing requests stay valid.",
    ),
    "D304": _x(
        "An optional parameter became required.",
        "Requests without it are rejected.",
    ),
    "D305": _x(
        "A required parameter became optional.",
        "Everything that was valid stays valid.",
    ),
    "D306": _x(
        "A parameter with the same name moved to another location (query, header, path, cookie).",
        "Old clients send it where the server no longer looks.",
    ),
    "D307": _x(
        "The operation (found by its operationId) has a new path template.",
        "Old clients call the old URL and get 404.",
    ),
    "D308": _x(
        "The operation (found by its operationId) uses another HTTP method.",
        "Old clients get 405 Method Not Allowed.",
    ),
    "D309": _x(
        "A parameter's `style` or `explode` changed (the defaults are filled in first).",
        "The same value is written differently (`ids=1,2` vs `ids=1&ids=2`): the server "
        "parses old requests wrongly.",
    ),
    "D310": _x(
        "A path placeholder was renamed in place (`/pets/{petId}` to `/pets/{id}`).",
        "The URL is the same on the wire, but the generated client's keyword argument is "
        "renamed, so calls passing it by name break: a warning.",
    ),
    "D311": _x(
        "An operation without a request body now requires one.",
        "Every existing request lacks it and is rejected.",
    ),
    "D312": _x(
        "An optional request body became required.",
        "Requests without a body are rejected.",
    ),
    "D313": _x(
        "The request body is gone.",
        "Clients that send one send data the server ignores or rejects; the generated client "
        "loses the body argument.",
    ),
    "D314": _x(
        "An operation without a request body now accepts an optional one.",
        "Existing requests stay valid.",
    ),
    "D315": _x(
        "A request media type (`application/json`, a form, ...) is no longer accepted.",
        "Clients sending it get 415 Unsupported Media Type.",
    ),
    "D316": _x(
        "A request media type is now accepted as well.",
        "Existing requests stay valid.",
    ),
    "D317": _x(
        "A success (2xx) response status is gone.",
        "Clients that handle that status (and its body) get another one.",
    ),
    "D318": _x(
        "A new success (2xx) response status.",
        "Clients may receive a status they do not handle; the generated client's return type "
        "widens. A warning.",
    ),
    "D319": _x(
        "A documented error (non-2xx) response is gone.",
        "Error handling for it becomes dead code, and the server may still answer with it "
        "undocumented: a warning.",
    ),
    "D320": _x(
        "A new documented error response.",
        "Errors could always happen; documenting one adds a typed error, nothing breaks.",
    ),
    "D321": _x(
        "A response's media type changed, or the response lost its body.",
        "Clients parse the body as the old media type, or expect a body that no longer comes.",
    ),
    "D322": _x(
        "A response header is gone.",
        "Clients that read it (`Location`, rate limits, ETags) get nothing.",
    ),
    "D323": _x(
        "A new response header.",
        "Clients ignore headers they do not read.",
    ),
    "D324": _x(
        "A response that had no body (no `content`) now has one.",
        "Clients are fine: they ignored the empty body. But a server implementation must now "
        "produce the body and the generated client's return type changes: a warning, like D230.",
    ),
    # -- protobuf
    "D401": _x(
        "A new field or enum value uses a number or name that the old revision reserved. "
        "Lifting the reservation is reported as D408 too.",
        "Reservations exist because old data and old clients still use that number or name "
        "with its old meaning: they now decode as the new field or value.",
    ),
    "D402": _x(
        "The field with the same number has a new name.",
        "The binary encoding is unchanged, but the JSON mapping uses the name (lowerCamelCase "
        "of it, or `json_name`): JSON clients send and read the old key. Generated accessors "
        "are renamed too.",
    ),
    "D403": _x(
        "The field kept its name but its `json_name` changed (added, removed or edited).",
        "The JSON key changes; binary is unaffected.",
    ),
    "D404": _x(
        "A field's element type changed in a way the wire or JSON encoding cannot absorb "
        "(`int32` to `string`, `int32` to `sint32`, one message type for another, a "
        "scalar for a message).",
        "Old data decodes as garbage or fails to parse (different wire types or zigzag "
        "encoding), and the JSON form differs.",
    ),
    "D405": _x(
        "A field's type changed between types that share their binary and JSON encoding: "
        "`int32`/`uint32`, `int64`/`uint64`, `fixed32`/`sfixed32`, "
        "`fixed64`/`sfixed64`.",
        "Values in the common range read back unchanged in both encodings; negative or very "
        "large values change meaning, and generated types change signedness. A warning.",
    ),
    "D406": _x(
        "A field changed between singular, `repeated` and `map`.",
        "The encodings differ (a JSON array or object instead of a value; packed repeated "
        "scalars; map entries): old readers lose data or fail.",
    ),
    "D407": _x(
        "A field moved into a `oneof`, out of one, or to another one.",
        "Setting a oneof member clears the others: messages that set several of these fields "
        "lose data, and the generated API (`WhichOneof`, presence) changes.",
    ),
    "D408": _x(
        "A reserved number, range or name of a message or enum is no longer reserved.",
        "The reservation protected old data and clients from a future reuse (D401); without "
        "it, the next edit can silently reuse the number.",
    ),
    "D409": _x(
        "A field is gone and its number or its name is not reserved.",
        "The number (binary) or name (JSON) can be reused later with another meaning; JSON "
        "clients still sending the name are rejected by strict parsers now.",
    ),
    "D410": _x(
        "A field is gone and both its number and its name are reserved.",
        "Done the recommended way: binary readers skip the unknown number, nothing can reuse "
        "it. Still a warning, as the data and the generated accessor are gone.",
    ),
    "D411": _x(
        "An enum value is gone and its number or name is not reserved.",
        "Old data carrying it reads as an unknown value, JSON clients sending the name are "
        "rejected, and the number can be reused with another meaning.",
    ),
    "D412": _x(
        "An enum value is gone and both its number and its name(s) are reserved.",
        "Done the recommended way; still a warning, as the value disappears from generated code.",
    ),
    "D413": _x(
        "The enum value with the same number has a new name (aliases added next to the old "
        "name are fine).",
        "JSON encodes enum values by name: JSON clients send and read the old one.",
    ),
    "D414": _x(
        "An RPC became or stopped being client-streaming or server-streaming.",
        "The call shape differs; stubs on both sides are incompatible.",
    ),
    "D415": _x(
        "An RPC's request or response message type is another message.",
        "gRPC does not send type names: each side decodes the bytes as the message type it "
        "knows, which is wrong for one of them.",
    ),
    "D416": _x(
        "A .proto file (same path) declares another package. The messages, enums and services "
        "it declares are matched under their new names, so the move is one change, not every "
        "declaration removed and added.",
        "Full names change: gRPC method paths (`/pkg.Service/Method`), `Any` type URLs, "
        "generated import paths.",
    ),
    "D417": _x(
        "An RPC's `idempotency_level` option changed.",
        "Clients and proxies decide on retries and HTTP GET (Connect, gRPC-web) from it; buf "
        "counts it as part of the wire contract too.",
    ),
    "D418": _x(
        "A singular, non-oneof field gained or lost explicit presence (proto3 `optional`).",
        "The binary and JSON encodings read the same, but zero values are now sent (or no "
        "longer sent) and the generated API gains or loses `HasField`: a warning.",
    ),
    "D419": _x(
        "A proto2 field became `required`, stopped being required, or a required field was "
        "added.",
        "A message missing a required field fails to parse: old writers break new readers, or "
        "new writers break old readers.",
    ),
    "D420": _x(
        "A new field with a number never used or reserved.",
        "Old readers skip the unknown field; new readers see the default when it is absent.",
    ),
    "D421": _x(
        "A new enum value.",
        "Old readers keep it as an unknown number (open enums) and new readers understand it.",
    ),
    # -- AsyncAPI
    "D501": _x(
        "A channel kept its key (AsyncAPI 3.0) but its address changed. In 2.6 the key is the "
        "address, so the same edit shows as a channel removed and one added.",
        "Publishers and subscribers of the old address no longer meet the application.",
    ),
    "D502": _x(
        "An operation switched between `send` and `receive` (2.6: `subscribe` and "
        "`publish`).",
        "The application now produces what it consumed, or the reverse: both sides' roles flip.",
    ),
    "D503": _x(
        "An operation now refers to another channel (a channel only renamed, same address, "
        "does not count).",
        "It sends to or listens on another address.",
    ),
    "D504": _x(
        "The `{parameters}` of a channel address changed (added or removed). The address "
        "changes with them (D501).",
        "Code that builds or parses the address with the old parameters fails.",
    ),
    "D505": _x(
        "A message's `contentType` (or the document's `defaultContentType` it falls back "
        "on) changed.",
        "The payload is encoded differently: consumers cannot decode it.",
    ),
    "D506": _x(
        "An operation gained or lost its `reply` (AsyncAPI 3.0 request/reply), or the reply "
        "goes to another channel.",
        "Requesters wait for replies that never come, or replies go to nobody.",
    ),
    "D507": _x(
        "Where a message's correlation id is read from (`correlationId.location`) changed.",
        "Messages stay readable, but request/reply matching reads the id from the old place: "
        "a warning.",
    ),
    "D508": _x(
        "The protocol bindings (amqp, kafka, mqtt, nats, redis) of a channel or operation "
        "changed.",
        "Delivery changes (exchange type, QoS, partitions, queue) while messages stay the same; "
        "whether that breaks depends on the broker setup: a warning.",
    ),
    # -- security
    "D601": _x(
        "An operation that accepted anonymous calls (no requirement, or an empty one `{}`) "
        "now requires authentication (its own `security` or the document's).",
        "Anonymous clients get 401.",
    ),
    "D602": _x(
        "One of the alternative ways of authenticating (an entry of `security`) is gone.",
        "Clients using it get 401.",
    ),
    "D603": _x(
        "An operation accepts more ways of authenticating, or anonymous calls.",
        "Clients that authenticated before still can.",
    ),
    "D604": _x(
        "A security scheme kept its name but changed type, HTTP scheme, location or "
        "parameter name.",
        "Clients send credentials where, or how, the server no longer looks.",
    ),
    # -- deprecation and versions
    "D701": _x(
        "An operation, parameter, property, schema, RPC, service, field or enum value is newly "
        "marked deprecated.",
        "Nothing changes yet; it announces a removal, so it needs a minor bump like an addition.",
    ),
    "D702": _x(
        "Something that can be marked deprecated was removed without having been deprecated "
        "in the old revision: OpenAPI operations, parameters and properties; AsyncAPI "
        "properties; proto fields, enum values, RPCs and services. Not reported where the "
        "format has no way to deprecate (JSON Schema enum values, AsyncAPI operations).",
        "Users got no notice. It comes on top of the removal's own rule.",
    ),
    "D703": _x(
        "OpenAPI/AsyncAPI: breaking changes, but `info.version` did not get a new major "
        "version (a new minor one below 1.0.0). Proto: breaking changes inside a stable "
        "package (`…v1`) or an unversioned one: its major version cannot change in place.",
        "The version promises compatibility the changes break.",
    ),
    "D704": _x(
        "Additions or deprecations, but `info.version` did not get a new minor version.",
        "Users cannot tell from the version that there is something new; nothing breaks.",
    ),
    "D705": _x(
        "`info.version` of either revision is not a semantic version (a date such as "
        "`2024-06-01` counts as unparsable) and the changes need a bump.",
        "The gate cannot check the bump; it says so instead of guessing.",
    ),
    "D706": _x(
        "Breaking changes inside an alpha or beta package (`…v1beta1`, `…v2alpha`).",
        "Such packages promise no stability: reported, not failed, and the breaking changes "
        "are accepted.",
    ),
    "D707": _x(
        "`info.version` went backwards (`1.4.0` to `1.3.9`).",
        "Version numbers must grow; tools and users compare them.",
    ),
}
