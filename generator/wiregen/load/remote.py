"""Fetching a remote ``$ref`` target, only when the user allowed it."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import IO, Any

from wiregen.load import limits


class _SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s): urllib would also follow one to ftp."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.HTTPError(
                newurl, code, f"redirect to {newurl!r} refused", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_SameSchemeRedirects())


class FetchError(Exception):
    pass


def fetch(url: str, max_bytes: int, timeout: float = limits.REMOTE_TIMEOUT) -> bytes:
    """The body at ``url`` (http or https), at most ``max_bytes`` long."""
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(f"only http and https URLs can be fetched, not {url!r}")
    request = urllib.request.Request(
        url, headers={"Accept": "application/json, application/yaml, */*"}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = response.read(max_bytes + 1)
    except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors
        raise FetchError(str(getattr(exc, "reason", exc))) from None
    if len(body) > max_bytes:
        raise FetchError(f"larger than {max_bytes:,} bytes")
    return bytes(body)
