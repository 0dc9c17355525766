"""wiregen.load: parsing YAML and JSON into plain trees, and refusing bad input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from wiregen.diagnostics import Abort, Diagnostic
from wiregen.load import Workspace


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load(tmp_path: Path, name: str, content: str | bytes, **options: int) -> object:
    return Workspace(tmp_path, **options).load(write(tmp_path, name, content)).data  # type: ignore[arg-type]


def failure(tmp_path: Path, name: str, content: str | bytes, **options: int) -> Diagnostic:
    with pytest.raises(Abort) as caught:
        load(tmp_path, name, content, **options)
    (diagnostic,) = caught.value.diagnostics
    return diagnostic


def where(d: Diagnostic) -> tuple[str, int, int]:
    assert d.span is not None
    return d.code, d.span.line, d.span.col


# -- YAML typing ------------------------------------------------------------------


def test_yaml_uses_core_schema_not_yaml_1_1(tmp_path: Path) -> None:
    data = load(
        tmp_path,
        "s.yaml",
        "date: 2020-01-01\n"
        "stamp: 2001-12-14t21:59:43.10-05:00\n"
        "yes_: yes\n"
        "on_: on\n"
        "octal: 012\n"
        "hex: 0x1F\n"
        "oct: 0o17\n"
        "sexagesimal: 1:20\n"
        "float: 1e3\n"
        "inf: -.inf\n"
        "ver: 3.0\n"
        "t: true\n"
        "n: ~\n"
        "empty:\n"
        "quoted: '12'\n",
    )
    assert data == {
        "date": "2020-01-01",
        "stamp": "2001-12-14t21:59:43.10-05:00",
        "yes_": "yes",
        "on_": "on",
        "octal": 12,
        "hex": 31,
        "oct": 15,
        "sexagesimal": "1:20",
        "float": 1000.0,
        "inf": float("-inf"),
        "ver": 3.0,
        "t": True,
        "n": None,
        "empty": None,
        "quoted": "12",
    }


def test_yaml_keys_are_their_source_text(tmp_path: Path) -> None:
    data = load(
        tmp_path,
        "s.yaml",
        "responses:\n  200: {description: ok}\n  2XX: x\n  1.50: y\n  true: z\n  null: w\n",
    )
    assert data == {
        "responses": {
            "200": {"description": "ok"},
            "2XX": "x",
            "1.50": "y",
            "true": "z",
            "null": "w",
        }
    }


def test_yaml_explicit_tags_give_plain_values(tmp_path: Path) -> None:
    data = load(
        tmp_path,
        "s.yaml",
        "a: !!timestamp 2020-01-01\nb: !!binary aGk=\nc: !custom {x: 1}\nd: !!set {p, q}\ne: !!str 5\n",
    )
    assert data == {
        "a": "2020-01-01",
        "b": "aGk=",
        "c": {"x": 1},
        "d": {"p": None, "q": None},
        "e": "5",
    }


def test_yaml_merge_keys_are_supported_and_own_keys_win(tmp_path: Path) -> None:
    data = load(tmp_path, "s.yaml", "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    assert data == {"base": {"x": 1, "y": 2}, "use": {"x": 1, "y": 3}}


def test_yaml_aliases_share_plain_values(tmp_path: Path) -> None:
    data = load(tmp_path, "s.yaml", "a: &x [1, 2]\nb: *x\n")
    assert data == {"a": [1, 2], "b": [1, 2]}


# -- YAML errors -----------------------------------------------------------------


def test_invalid_yaml_reports_one_based_position(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    assert d.code == "WG101"
    assert d.message.startswith("invalid YAML")
    assert d.span is not None and d.span.file == f"{tmp_path.name}/s.yaml"
    assert (d.span.line, d.span.col) == (3, 2)


def test_yaml_mapping_value_error_position(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "a:\n  b: c: d\n")
    assert where(d) == ("WG101", 2, 7)


def test_yaml_duplicate_key(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "paths:\n  /a: {}\n  /b: {}\n  /a: {}\n")
    assert where(d) == ("WG102", 4, 3)
    assert "'/a'" in d.message
    assert d.hint is not None and "line 2" in d.hint


def test_yaml_duplicate_key_in_flow_mapping(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "x: {a: 1, b: 2, a: 3}\n")
    assert where(d) == ("WG102", 1, 17)


def test_yaml_duplicate_key_next_to_merge(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 1\n  y: 2\n")
    assert where(d) == ("WG102", 5, 3)


def test_yaml_non_string_key(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "? [a, b]\n: c\n")
    assert where(d) == ("WG101", 1, 3)
    assert "keys must be strings" in d.message


def test_yaml_undefined_alias(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "a: 1\nb: *nope\n")
    assert where(d) == ("WG101", 2, 4)


def test_yaml_multiple_documents_rejected(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "a: 1\n---\nb: 2\n")
    assert d.code == "WG101"


def test_billion_laughs_fails_fast(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    started = time.perf_counter()
    d = failure(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    assert time.perf_counter() - started < 1.0
    assert d.code == "WG103"
    assert "aliases expand" in d.message
    # a5 expands each alias to 111,111 nodes: the 8th pushes the total past 1,000,000.
    assert (d.span.line, d.span.col) == (6, 38)  # type: ignore[union-attr]


def test_recursive_alias_rejected(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "a: &x\n  b: *x\n")
    assert where(d) == ("WG103", 2, 6)


def test_deep_yaml_nesting_rejected_before_composing(tmp_path: Path) -> None:
    # 100,000 levels used to crash the C composer; now it is a diagnostic.
    d = failure(tmp_path, "deep.yaml", "[" * 100_000 + "]" * 100_000)
    assert where(d) == ("WG103", 1, 1001)
    assert "nesting" in d.message


def test_yaml_at_depth_limit_loads(tmp_path: Path) -> None:
    assert load(tmp_path, "ok.yaml", "[" * 1000 + "]" * 1000) is not None


# -- JSON ------------------------------------------------------------------------


def test_json_loads(tmp_path: Path) -> None:
    data = load(tmp_path, "s.json", '{"a": [1, 2.5, true, null, "2020-01-01"], "200": {}}')
    assert data == {"a": [1, 2.5, True, None, "2020-01-01"], "200": {}}


def test_json_syntax_error_position(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.json", '{\n  "a": 1,\n  "b": [1, 2,]\n}\n')
    assert where(d) == ("WG101", 3, 14)
    assert d.message.startswith("invalid JSON")


def test_json_duplicate_key_nested(tmp_path: Path) -> None:
    text = '{\n  "a": {"x": 1},\n  "b": [\n    {"k": 1, "k": 2}\n  ]\n}\n'
    d = failure(tmp_path, "s.json", text)
    assert where(d) == ("WG102", 4, 14)
    assert "'k'" in d.message and d.hint is not None and "line 4" in d.hint


def test_json_duplicate_key_with_tricky_strings(tmp_path: Path) -> None:
    text = '{"s": "}{\\"k\\": [", "o": {"k": "{", "x": 1, "k": "]"}}'
    d = failure(tmp_path, "s.json", text)
    assert where(d) == ("WG102", 1, 45)


def test_json_duplicate_top_level_key(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.json", '{"a": 1,\n "a": 2}')
    assert where(d) == ("WG102", 2, 2)


def test_deep_json_rejected(tmp_path: Path) -> None:
    d = failure(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    assert d.code == "WG103"


def test_yaml_file_with_json_content_is_parsed_as_json(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    doc = ws.load(write(tmp_path, "s.yaml", '{"a": 1}'))
    assert doc.format == "json" and doc.data == {"a": 1}


def test_yaml_flow_mapping_falls_back_from_json(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    doc = ws.load(write(tmp_path, "s.yml", "{a: 1, b: [x]}"))
    assert doc.format == "yaml" and doc.data == {"a": 1, "b": ["x"]}


def test_json_extension_never_falls_back_to_yaml(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.json", "a: 1\n")
    assert where(d) == ("WG101", 1, 1)


def test_unknown_extension_sniffs_content(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert ws.load(write(tmp_path, "spec.txt", "  [1]")).format == "json"
    assert ws.load(write(tmp_path, "spec2.txt", "a: 1")).format == "yaml"


# -- files -------------------------------------------------------------------------


def test_oversize_file_rejected(tmp_path: Path) -> None:
    d = failure(tmp_path, "big.yaml", "a: " + "x" * 200 + "\n", max_bytes=100)
    assert d.code == "WG103"
    assert "too large" in d.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(Abort) as caught:
        Workspace(tmp_path).load(tmp_path / "nope.yaml")
    (d,) = caught.value.diagnostics
    assert d.code == "WG104" and "not found" in d.message
    assert d.span is not None and d.span.file == f"{tmp_path.name}/nope.yaml"


def test_directory_is_not_a_spec(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(Abort) as caught:
        Workspace(tmp_path).load(tmp_path / "dir.yaml")
    assert caught.value.diagnostics[0].code == "WG104"


def test_bad_utf8(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", b"a: 1\nb: caf\xe9\n")
    assert where(d) == ("WG101", 2, 7)
    assert "UTF-8" in d.message


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    assert load(tmp_path, "s.json", b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert load(tmp_path, "t.yaml", b"\xef\xbb\xbfa: 1\n") == {"a": 1}


def test_documents_are_cached_and_listed_in_load_order(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    b = ws.load(write(tmp_path, "b.yaml", "x: 1\n"))
    a = ws.load(write(tmp_path, "sub/a.json", "{}"))
    assert ws.load(tmp_path / "sub" / ".." / "b.yaml") is b
    assert ws.documents == (b, a)
    assert a.display == f"{tmp_path.name}/sub/a.json"
    assert a.path == (tmp_path / "sub" / "a.json").resolve()


def test_display_base(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "api", display_base=tmp_path)
    doc = ws.load(write(tmp_path, "api/spec.yaml", "a: 1\n"))
    assert doc.display == "api/spec.yaml"


def test_failures_are_cached(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    path = write(tmp_path, "s.yaml", "a: [\n")
    with pytest.raises(Abort):
        ws.load(path)
    path.write_text("a: 1\n")
    with pytest.raises(Abort):
        ws.load(path)


def test_yaml_bad_explicit_tag_value_is_located(tmp_path: Path) -> None:
    d = failure(tmp_path, "s.yaml", "a: 1\nx: !!int abc\n")
    assert where(d) == ("WG101", 2, 4)
