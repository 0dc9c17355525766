"""The hatchling build hook: generate before the wheel and the sdist are built.

A project opts in with an (often empty) table in its pyproject.toml::

    [build-system]
    requires = ["hatchling", "wiregen"]
    build-backend = "hatchling.build"

    [tool.hatch.build.hooks.wiregen]
    # config = "pyproject.toml"   # where [tool.wiregen] is, relative to the project root

Every job of ``[tool.wiregen]`` then runs before each build, and every generated
file is force-included: generated output is often git-ignored, and hatch leaves
ignored files out of both the wheel and the sdist. In a wheel a file lands at its
import path (the job's output directory is the import root, as for any wiregen
job); in an sdist at its path in the project, so a wheel built from the sdist finds
the spec and the output where the project had them. Editable installs generate too,
but include nothing: they import from the source tree.

Hatchling finds this module through the ``hatch`` entry point group; it imports
hatchling, so nothing else in wiregen may import it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl

from wiregen.diagnostics import Abort, Diagnostic
from wiregen.integrations.runner import Mode, Status, run_job

PLUGIN_NAME = "wiregen"


class WiregenBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = PLUGIN_NAME

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name not in ("wheel", "sdist"):
            return
        from wiregen.config import load_config

        root = Path(self.root)
        pyproject = root / self._config_setting()
        try:
            jobs = load_config(pyproject).jobs
        except Abort as exc:
            self._abort("cannot read the wiregen configuration", exc.diagnostics)
        included: dict[str, str] = build_data.setdefault("force_include", {})
        for job in jobs:
            # No cache: a build is rare and must be right; emit still writes only
            # what changed, so the sources' mtimes stay put.
            outcome = run_job(job, Mode.GENERATE)
            if outcome.status is Status.FAILED:
                self._abort(f"generating {job.package} failed", outcome.diagnostics)
            for diagnostic in outcome.diagnostics:
                self.app.display_warning(f"wiregen: {diagnostic.format()}")
            self.app.display_info(
                f"wiregen: {job.package}: {len(outcome.written)} written, "
                f"{outcome.unchanged} unchanged, {len(outcome.deleted)} deleted"
            )
            if version == "editable":
                continue
            for rel in outcome.files:
                source = job.output / rel
                if self.target_name == "wheel":
                    included[str(source)] = rel
                else:
                    included[str(source)] = Path(os.path.relpath(source, root)).as_posix()

    def _config_setting(self) -> str:
        value = self.config.get("config", "pyproject.toml")
        if not isinstance(value, str) or not value:
            self.app.abort(
                "wiregen: tool.hatch.build.hooks.wiregen.config must be a path "
                "(relative to the project root)"
            )
            raise SystemExit(2)  # abort exits; this line only tells type checkers so
        return value

    def _abort(self, message: str, diagnostics: Iterable[Diagnostic]) -> NoReturn:
        for diagnostic in diagnostics:
            self.app.display_error(diagnostic.format())
        self.app.abort(f"wiregen: {message}")
        raise SystemExit(1)


@hookimpl
def hatch_register_build_hook() -> type[BuildHookInterface]:  # type: ignore[type-arg]
    return WiregenBuildHook
