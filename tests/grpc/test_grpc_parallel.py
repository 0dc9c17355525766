"""protoc's Python generator in a child process (large inputs): the same output, every way.

For large APIs the ``_pb2.py`` modules are made by a child process started before the
descriptors (:class:`wiregen.frontends.protoc.PythonJob`). Here it is forced on the
small example, and everything must come out byte for byte as from the single run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.grpc.support import EXAMPLE_SPEC, EXAMPLES

from wiregen.diagnostics import Severity
from wiregen.frontends import protoc
from wiregen.pipeline import GenerateRequest, Target, generate

ALL_FILES = (
    EXAMPLES / "acme" / "common" / "v1" / "money.proto",
    EXAMPLES / "acme" / "catalog" / "v1" / "catalog.proto",
    EXAMPLE_SPEC,
)


def _generate(specs: tuple[Path, ...], *, includes: tuple[Path, ...] = ()) -> tuple[dict[str, str], list[str]]:
    result = generate(GenerateRequest(spec=specs[0], specs=specs[1:], package="par_pkg", targets=(Target.GRPC,), includes=includes))
    return dict(result.files), [d.code for d in result.diagnostics if d.severity is Severity.ERROR]


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> list[protoc.PythonJob]:
    """Force the child process whatever the input size and core count; record the jobs."""
    started: list[protoc.PythonJob] = []
    start = protoc.PythonJob.start.__func__  # type: ignore[attr-defined]

    def forced(cls: type[protoc.PythonJob], /, *args: object, **kwargs: object) -> protoc.PythonJob | None:
        job: protoc.PythonJob | None = start(cls, *args, **kwargs)
        if job is not None:
            started.append(job)
        return job

    monkeypatch.setattr(protoc, "_worth_a_process", lambda specs: True)
    monkeypatch.setattr(protoc.PythonJob, "start", classmethod(forced))
    return started


@pytest.fixture(scope="module")
def single_run() -> dict[tuple[Path, ...], dict[str, str]]:
    """The output of the single in-process run, per set of specs."""
    expected: dict[tuple[Path, ...], dict[str, str]] = {}
    for specs in ((EXAMPLE_SPEC,), ALL_FILES):
        files, errors = _generate(specs)
        assert not errors
        expected[specs] = files
    return expected


@pytest.mark.parametrize("specs", [(EXAMPLE_SPEC,), ALL_FILES], ids=["imports-outside-the-targets", "all-targets"])
def test_the_child_writes_what_the_single_run_writes(
    specs: tuple[Path, ...], jobs: list[protoc.PythonJob], single_run: dict[tuple[Path, ...], dict[str, str]]
) -> None:
    files, errors = _generate(specs)
    assert len(jobs) == 1 and not errors
    assert files == single_run[specs]
    assert any(rel.endswith("orders_pb2.py") and "AddSerializedFile" in text for rel, text in files.items())


def test_a_failed_child_is_redone_in_process(
    jobs: list[protoc.PythonJob], single_run: dict[tuple[Path, ...], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protoc, "_CHILD", "import sys; sys.exit(3)")
    files, errors = _generate(ALL_FILES)
    assert len(jobs) == 1 and not errors
    assert files == single_run[ALL_FILES]


def test_the_child_is_gone_and_its_files_removed_whatever_happens(jobs: list[protoc.PythonJob], tmp_path: Path) -> None:
    broken = tmp_path / "broken.proto"
    broken.write_text('syntax = "proto3";\nmessage M { strin s = 1; }\n')
    good, _ = _generate((EXAMPLE_SPEC,))
    bad, errors = _generate((broken,))
    assert good and not bad and errors
    assert len(jobs) == 2
    for job in jobs:
        assert job._process.returncode is not None  # reaped
        assert not job._tmp.exists()


def test_file_names_protoc_would_copy_into_code_are_refused_in_the_child_too(jobs: list[protoc.PythonJob], tmp_path: Path) -> None:
    spec = tmp_path / "q'uote.proto"
    spec.write_text('syntax = "proto3";\npackage q.v1;\nmessage M { string s = 1; }\n')
    files, errors = _generate((spec,), includes=(tmp_path,))
    assert len(jobs) == 1
    assert files == {} and errors == ["WG405"]


def test_small_inputs_and_single_cores_stay_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not protoc._worth_a_process([EXAMPLE_SPEC])  # a few KB
    big = [EXAMPLE_SPEC] * (protoc._PARALLEL_SOURCE_BYTES // EXAMPLE_SPEC.stat().st_size + 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert protoc._worth_a_process(big)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert not protoc._worth_a_process(big)
