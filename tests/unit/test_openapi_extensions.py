"""``x-wiregen-*`` extensions become first-class IR fields; bad values are located errors."""

from __future__ import annotations

import json
from pathlib import Path

from wiregen.pipeline import GenerateRequest, Target, generate

SPEC = """\
openapi: 3.0.3
info: {title: Ext, version: 1.0.0}
x-wiregen-timeout: 5
x-wiregen-retry: {max_attempts: 2}
paths:
  /a:
    get:
      operationId: plain
      responses: {'200': {description: ok}}
    post:
      operationId: createA
      x-wiregen-idempotent: true
      x-wiregen-timeout: 1.5
      x-wiregen-retry: {max_attempts: 5, base_delay: 0.1, max_delay: 2}
      x-wiregen-circuit-breaker: {failure_rate: 0.25, window: 40, min_calls: 10, open_seconds: 3, half_open_probes: 2}
      responses: {'201': {description: ok}}
    delete:
      operationId: removeA
      x-wiregen-retry: false
      x-wiregen-circuit-breaker: false
      responses: {'204': {description: ok}}
"""


def _operations(tmp_path: Path, text: str) -> dict[str, dict[str, object]]:
    spec = tmp_path / "ext.yaml"
    spec.write_text(text)
    result = generate(GenerateRequest(spec=spec, package="ext", targets=(Target.IR,)))
    assert result.ok, [d.format() for d in result.diagnostics]
    api = json.loads(result.files["ir.json"])
    return {op["id"]: op for service in api["services"] for op in service["operations"]}


def test_extensions_reach_the_ir_with_root_values_as_fallback(tmp_path: Path) -> None:
    ops = _operations(tmp_path, SPEC)
    assert ops["plain"]["timeout"] == 5.0
    assert ops["plain"]["retry"] == {"enabled": True, "max_attempts": 2, "base_delay": None, "max_delay": None}
    assert ops["plain"]["idempotent"] is True and ops["plain"]["circuit_breaker"] is None
    create = ops["createA"]
    assert create["idempotent"] is True and create["timeout"] == 1.5
    assert create["retry"] == {"enabled": True, "max_attempts": 5, "base_delay": 0.1, "max_delay": 2.0}
    assert create["circuit_breaker"] == {
        "enabled": True, "failure_rate": 0.25, "window": 40, "min_calls": 10, "open_seconds": 3.0, "half_open_probes": 2
    }
    assert ops["removeA"]["retry"]["enabled"] is False
    assert ops["removeA"]["circuit_breaker"]["enabled"] is False


def test_post_is_not_idempotent_unless_declared(tmp_path: Path) -> None:
    ops = _operations(tmp_path, SPEC.replace("      x-wiregen-idempotent: true\n", ""))
    assert ops["createA"]["idempotent"] is False


def test_bad_extension_values_are_located_errors(tmp_path: Path) -> None:
    bad = SPEC.replace("max_attempts: 2", "max_atempts: 2").replace("x-wiregen-timeout: 1.5", "x-wiregen-timeout: fast")
    bad = bad.replace("x-wiregen-retry: false", "x-wiregen-retry: false\n      x-wiregen-retries: 3")
    spec = tmp_path / "bad.yaml"
    spec.write_text(bad)
    result = generate(GenerateRequest(spec=spec, package="ext"))
    errors = [d for d in result.diagnostics if d.code == "WG211"]
    lines = sorted(d.span.line for d in errors if d.span)
    assert not result.ok and not result.files
    assert len(errors) == 3, [d.format() for d in errors]
    assert lines == [4, 13, 20], [d.format() for d in errors]
