"""Limits that keep hostile input from exhausting time, memory or the C stack."""

from __future__ import annotations

MAX_BYTES = 64 * 1024 * 1024

MAX_DEPTH = 1000
"""Deepest nesting of collections accepted in YAML.

PyYAML's C composer recurses without a guard (it segfaults somewhere above 10,000
levels) and libyaml slows down quadratically with flow nesting, so depth is checked
on the event stream before anything is composed. JSON gets the same bound from the
interpreter's recursion limit, which ``json.loads`` honours.
"""

MAX_ALIAS_NODES = 1_000_000
"""How many nodes YAML aliases may add in total once expanded.

Aliases share nodes, so the parsed tree is small, but every consumer that walks it
(validators, the frontend, ``json.dumps``) pays for the expansion: a billion-laughs
document is a few hundred bytes that expand to 10**9 nodes.
"""

REMOTE_TIMEOUT = 10.0
"""Seconds a remote ``$ref`` fetch may take (connect and each read)."""
