"""Only .proto files whose text or imports changed are compiled for a diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wiregen.diff import diff_paths, proto_pair
from wiregen.diff.proto_closure import changed_files


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


BASE = {
    "a/v1/common.proto": 'syntax = "proto3";\npackage a.v1;\nmessage Money {\n  int64 units = 1;\n}\n',
    "a/v1/shop.proto": 'syntax = "proto3";\npackage a.v1;\nimport "a/v1/common.proto";\n'
    "message Item {\n  a.v1.Money price = 1;\n}\n",
    "b/v1/other.proto": 'syntax = "proto3";\npackage b.v1;\nmessage Note {\n  string text = 1;\n}\n',
}


def test_a_change_reaches_the_files_that_import_it_and_no_others(tmp_path: Path) -> None:
    old = _tree(tmp_path / "old", BASE)
    edited = {**BASE, "a/v1/common.proto": BASE["a/v1/common.proto"].replace("int64 units", "int32 units")}
    new = _tree(tmp_path / "new", edited)
    changed = changed_files(BASE, (old,), edited, (new,))
    assert changed == {"a/v1/common.proto", "a/v1/shop.proto"}


def test_added_removed_and_commented_out_imports_count(tmp_path: Path) -> None:
    old = _tree(tmp_path / "old", BASE)
    edited = dict(BASE)
    del edited["b/v1/other.proto"]
    edited["c/v1/new.proto"] = 'syntax = "proto3";\npackage c.v1;\n// import "b/v1/other.proto";\n'
    new = _tree(tmp_path / "new", edited)
    assert changed_files(BASE, (old,), edited, (new,)) == {"b/v1/other.proto", "c/v1/new.proto"}
    assert changed_files(BASE, (old,), BASE, (old,)) == frozenset()


def test_only_changed_files_are_compiled_and_the_result_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _tree(tmp_path / "old", BASE)
    edited = {**BASE, "b/v1/other.proto": BASE["b/v1/other.proto"].replace("string text", "bytes text")}
    new = _tree(tmp_path / "new", edited)
    compiled: list[list[str]] = []
    original = proto_pair.compile_protos

    def recording(specs: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(sorted(Path(s).name for s in specs))
        return original(specs, *args, **kwargs)

    monkeypatch.setattr(proto_pair, "compile_protos", recording)
    monkeypatch.setattr(proto_pair.os, "cpu_count", lambda: 1)  # in this process, so it is seen
    report = diff_paths(old, new)
    assert compiled == [["other.proto"], ["other.proto"]]
    assert [(c.code, c.subject) for c in report.changes if c.code == "D404"] == [("D404", "b.v1.Note.text")]


def test_identical_trees_compile_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _tree(tmp_path / "old", BASE)
    new = _tree(tmp_path / "new", BASE)
    monkeypatch.setattr(proto_pair, "compile_protos", lambda *a, **k: pytest.fail("protoc ran"))
    report = diff_paths(old, new)
    assert report.ok and report.changes == ()
