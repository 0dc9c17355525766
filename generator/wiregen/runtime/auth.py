"""Applying credentials to a request for an endpoint's security requirements."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .codec import cookie_fragment, query_fragment
from .spec import SecurityScheme


@dataclass(slots=True)
class AuthParts:
    headers: dict[str, str] = field(default_factory=dict)
    query: list[str] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)


def _credential(scheme: SecurityScheme, credentials: Mapping[str, Any]) -> Any:
    value = credentials.get(scheme.py_name)
    if value is None:
        value = credentials.get(scheme.name)
    if callable(value):  # token provider, called per request
        value = value()
    return value


def basic_header(username: str, password: str) -> str:
    """``Authorization`` value with httpx ``BasicAuth`` semantics (UTF-8, base64)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _apply(scheme: SecurityScheme, cred: Any, out: AuthParts) -> None:
    if scheme.kind == "http":
        kind = (scheme.scheme or "bearer").lower()
        if kind == "basic":
            if isinstance(cred, str):
                user, _, password = cred.partition(":")
            else:
                user, password = cred
            out.headers["Authorization"] = basic_header(str(user), str(password))
        elif kind == "bearer":
            out.headers["Authorization"] = f"Bearer {cred}"
        else:
            out.headers["Authorization"] = f"{scheme.scheme} {cred}"
    elif scheme.kind == "apiKey":
        assert scheme.param_name is not None
        if scheme.location == "query":
            out.query.append(query_fragment(scheme.param_name, str(cred)))
        elif scheme.location == "cookie":
            out.cookies.append(cookie_fragment(scheme.param_name, str(cred)))
        else:
            out.headers[scheme.param_name] = str(cred)
    elif scheme.kind in ("oauth2", "openIdConnect"):
        out.headers["Authorization"] = f"Bearer {cred}"
    # mutualTLS: configured on the transport (httpx client), nothing per request.


def resolve_security(
    security: Sequence[Sequence[str]],
    schemes: Mapping[str, SecurityScheme],
    credentials: Mapping[str, Any],
    credential_of: Callable[[SecurityScheme, Mapping[str, Any]], Any] = _credential,
) -> AuthParts:
    """Credentials for the first non-empty alternative whose schemes all have one.

    An empty alternative (anonymous allowed) is never preferred over a
    satisfiable one.  When nothing is satisfiable the request goes out without
    credentials and the server decides.
    """
    out = AuthParts()
    for alternative in security:
        if not alternative:
            continue
        found: list[tuple[SecurityScheme, Any]] = []
        for name in alternative:
            scheme = schemes.get(name)
            cred = None if scheme is None else credential_of(scheme, credentials)
            if scheme is None or cred is None:
                break
            found.append((scheme, cred))
        else:
            for scheme, cred in found:
                _apply(scheme, cred, out)
            return out
    return out
