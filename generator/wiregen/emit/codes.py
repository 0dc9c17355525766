"""Diagnostic codes of the emit stage (stable: users grep for them and tests pin them)."""

from __future__ import annotations

INVALID_CONTENT = "WG501"
"""A generated file does not parse (or cannot be encoded): always a wiregen bug."""
UNSAFE_PATH = "WG502"
"""An output path is not a plain relative name, or would leave the output directory."""
IO_ERROR = "WG503"
"""The disk said no: unreadable, unwritable, or something in the way."""
MANIFEST = "WG504"
"""The previous manifest could not be used; a warning, since it only limits deletion."""

BUG_HINT = "this is a bug in wiregen, not in your spec; please report it together with the spec"
