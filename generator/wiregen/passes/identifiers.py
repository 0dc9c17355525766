"""Turning arbitrary spec strings into safe, unique Python identifiers.

Everything a spec names (schemas, properties, operations, tags, enum values) passes
through here before it is used as an identifier in generated code. The result is
always ASCII, never a keyword, never starts with a digit or an underscore (pydantic
treats ``_x`` as private), and is unique within its :class:`Scope`.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")


def words(raw: str) -> list[str]:
    """Split a name into ASCII words: ``petType``, ``pet-type``, ``PET_TYPE`` -> pet, type."""
    text = raw
    if not raw.isascii():
        # NFKC folds look-alikes (full-width letters, ligatures) onto the same name, so
        # two spec names that render alike also collide here and get told apart.
        text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", raw))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    result: list[str] = []
    for chunk in _NON_WORD.split(text):
        if chunk:
            result.extend(part for part in _CAMEL_BOUNDARY.split(chunk) if part)
    return result


def snake(raw: str, *, fallback: str) -> str:
    """``snake_case``; ``fallback`` is prefixed when the name would start with a digit."""
    parts = [w.lower() for w in words(raw)]
    name = "_".join(parts) if parts else fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def pascal(raw: str, *, fallback: str) -> str:
    """``PascalCase``; all-caps words are kept as they are (``HTTPError`` stays)."""
    parts = words(raw)
    name = "".join(w[:1].upper() + w[1:] for w in parts) if parts else fallback
    if name[0].isdigit():
        name = fallback + name
    return name


def upper_snake(raw: str, *, fallback: str) -> str:
    parts = [w.upper() for w in words(raw)]
    name = "_".join(parts) if parts else fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name


class Scope:
    """Names already taken in one namespace; :meth:`claim` makes a name unique in it."""

    def __init__(self, reserved: frozenset[str] | set[str] = frozenset()) -> None:
        self._taken: set[str] = {r.lower() for r in reserved}

    def claim(self, name: str) -> str:
        """Return ``name``, or ``name_2``, ``name_3``… whichever is free, and take it.

        Comparison ignores case so that two names differing only in case never end up
        as two files or attributes a case-insensitive file system would merge.
        """
        candidate = name
        counter = 2
        while candidate.lower() in self._taken:
            separator = "" if name[-1:].isalpha() and name[:1].isupper() else "_"
            candidate = f"{name}{separator}{counter}"
            counter += 1
        self._taken.add(candidate.lower())
        return candidate


# Attributes pydantic's BaseModel defines; a field of the same name would shadow them.
PYDANTIC_RESERVED = frozenset(
    {
        "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
        "schema", "schema_json", "update_forward_refs", "validate", "fields", "root",
    }
)
"""Plus anything starting with ``model_`` (pydantic's protected namespace)."""

# Capitalised builtins and the names generated modules import or define themselves.
CLASS_RESERVED = frozenset(
    {
        "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BaseExceptionGroup",
        "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning", "ChildProcessError",
        "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError", "ConnectionResetError",
        "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning", "EnvironmentError", "Exception",
        "ExceptionGroup", "False", "FileExistsError", "FileNotFoundError", "FloatingPointError",
        "FutureWarning", "GeneratorExit", "IOError", "ImportError", "ImportWarning", "IndentationError",
        "IndexError", "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt",
        "LookupError", "MemoryError", "ModuleNotFoundError", "NameError", "None", "NotADirectoryError",
        "NotImplemented", "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning",
        "PermissionError", "ProcessLookupError", "RecursionError", "ReferenceError", "ResourceWarning",
        "RuntimeError", "RuntimeWarning", "StopAsyncIteration", "StopIteration", "SyntaxError",
        "SyntaxWarning", "SystemError", "SystemExit", "TabError", "TimeoutError", "True", "TypeError",
        "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError",
        "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError", "Warning",
        "ZeroDivisionError",
        # names of the generated package's own public API
        "ApiError", "UnexpectedStatusError", "ServiceError", "Client", "AsyncClient", "WireModel",
        "Binary", "BaseModel", "RootModel", "BulkheadFullError", "BulkheadPolicy", "CircuitBreakerPolicy",
        "CircuitOpenError", "DeadlineExceededError", "ResilienceError", "RetryPolicy", "TransportError",
        "NotImplementedOperation", "Base64Data",
    }
)
