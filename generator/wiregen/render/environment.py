"""The Jinja2 environment: strict, and fed only by view models.

Templates are files of ours (or the user's overrides); nothing from a spec is ever
compiled as a template. ``StrictUndefined`` turns a missing view-model field into an
error instead of silently rendering nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jinja2

from wiregen.render import escape


@lru_cache(maxsize=8)
def environment(search_path: tuple[Path, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in search_path]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # output is Python; escaping is done per spot by the view models
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["pystr"] = escape.string_literal
    env.filters["docstring"] = escape.docstring_block
    return env


def render(search_path: Sequence[Path], template: str, **context: object) -> str:
    return environment(tuple(search_path)).get_template(template).render(**context)
