"""A module imported on first attribute access.

Generated ``_endpoints`` modules refer to the models module through this, so that
``import pkg.client`` does not pay for building hundreds of model classes until a
call actually needs one. Type checkers see the real module (imported under
``TYPE_CHECKING``).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    __slots__ = ("_module", "_name", "_package")

    def __init__(self, name: str, package: str | None) -> None:
        self._name = name
        self._package = package
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name, self._package)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r} of {self._package!r}>"
