"""The manifest: which files a previous run generated, and what it wrote into them.

It is what makes deleting safe: only a path listed here can ever be deleted, and the
recorded digest tells a file we wrote apart from one a user has since replaced. It
holds no timestamps and no absolute paths, so it is byte-identical run to run and
can be committed with the output.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping

FORMAT = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render(files: Mapping[str, bytes]) -> bytes:
    """The manifest for ``files`` (output-relative path -> bytes written)."""
    document = {
        "format": FORMAT,
        "generator": "wiregen",
        "files": {rel: digest(data) for rel, data in sorted(files.items())},
    }
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()


def parse(data: bytes) -> dict[str, str] | None:
    """Path -> sha256 from a previous manifest; None when it is not one of ours.

    Anything unexpected yields None rather than a partial answer: a manifest we do not
    fully understand must not authorise any deletion.
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    files = document.get("files")
    if not isinstance(files, dict):
        return None
    result: dict[str, str] = {}
    for rel, sha in files.items():
        if not isinstance(rel, str) or not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            return None
        result[rel] = sha
    return result
