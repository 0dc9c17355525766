"""Regular expressions from the spec that Python cannot compile are dropped, with a warning.

Specs write ECMA-262 patterns; generated models validate with Python's ``re``. A
pattern ``re`` rejects (``\\p{L}``, for one) would make the model fail at first use, so
the constraint is left out instead and the user is told where.
"""

from __future__ import annotations

import re
from dataclasses import replace

from wiregen.diagnostics import Diagnostic, warning
from wiregen.ir import model as ir
from wiregen.ir.walk import map_types


def apply(api: ir.Api) -> tuple[ir.Api, list[Diagnostic]]:
    dropped: set[str] = set()

    def check(expr: ir.TypeExpr) -> ir.TypeExpr:
        pattern = expr.constraints.pattern if isinstance(expr, ir.Primitive) else None
        if pattern is None or _compiles(pattern):
            return expr
        dropped.add(pattern)
        assert isinstance(expr, ir.Primitive)
        return replace(expr, constraints=replace(expr.constraints, pattern=None))

    api = map_types(api, check)
    diagnostics = [
        warning(
            "WG301",
            f"pattern {pattern!r} is not a valid Python regular expression; the constraint is not enforced",
            api.span,
            hint="rewrite the pattern in the common subset of ECMA-262 and Python syntax",
        )
        for pattern in sorted(dropped)
    ]
    return api, diagnostics


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    return True
