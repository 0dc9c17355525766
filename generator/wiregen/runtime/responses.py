"""Turning an ``httpx.Response`` into a return value or a typed ``ApiError``."""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic_core import ValidationError

from .errors import ApiError, ResponseValidationError, UnexpectedStatusError
from .spec import Endpoint, ResponseSpec


def is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    mt = content_type.split(";", 1)[0].strip().lower()
    return mt == "application/json" or mt.endswith("+json")


def raw_body(response: httpx.Response) -> Any:
    """The body as parsed JSON when it is JSON, else text; ``None`` when empty."""
    if not response.content:
        return None
    ctype = response.headers.get("content-type")
    if is_json_media_type(ctype) or ctype is None:
        try:
            return json.loads(response.content)
        except ValueError:
            pass
    try:
        return response.text
    except (UnicodeDecodeError, LookupError):
        return response.content


def typed_body(spec: ResponseSpec, response: httpx.Response) -> Any:
    """The body decoded per ``spec`` (raises ``ValidationError``/``ValueError``)."""
    if spec.kind == "empty":
        return None
    if spec.kind == "binary":
        return response.content
    if spec.kind == "text":
        return response.text
    if not response.content:
        return None
    if spec.type is None:
        return json.loads(response.content)
    return spec.adapter().validate_json(response.content)


def success_value(endpoint: Endpoint, response: httpx.Response) -> Any:
    """The return value of a 2xx response (raises ``ResponseValidationError``)."""
    spec = endpoint.response_for(response.status_code, response.headers.get("content-type"))
    if spec is None or (spec.status.lower() == "default" and spec.error is not None):
        # Undocumented success (``default`` describing errors does not count).
        return raw_body(response)
    try:
        return typed_body(spec, response)
    except (ValidationError, ValueError) as exc:
        raise ResponseValidationError(response, raw_body(response)) from exc


def error_for(endpoint: Endpoint, response: httpx.Response) -> ApiError:
    """The exception for a non-2xx response: the documented error type (body typed
    when it validates) or ``UnexpectedStatusError``."""
    spec = endpoint.response_for(response.status_code, response.headers.get("content-type"))
    if spec is None:
        return UnexpectedStatusError(response, raw_body(response))
    try:
        body = typed_body(spec, response)
    except (ValidationError, ValueError):
        body = raw_body(response)
    error_type = spec.error() if spec.error is not None else UnexpectedStatusError
    return error_type(response, body)
