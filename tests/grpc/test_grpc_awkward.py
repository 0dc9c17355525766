"""Awkward but legal .proto input: no package, builtin and keyword names, clashing RPC names;
and the emitted service config against the runtime's own defaults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from tests.grpc.support import generate_files, import_from, write_tree

AWKWARD = """
syntax = "proto3";
// Names that shadow builtins and keywords.
message Thing {
  string str = 1;
  bytes bytes = 2;
  int32 class = 3;
  map<bool, Thing> by_flag = 4;
  enum int { ZERO = 0; }
  int kind = 5;
}
service Echo {
  rpc Close(Thing) returns (Thing);
  rpc WithOptions(stream Thing) returns (stream Thing);
}
"""


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ModuleType]:
    base = tmp_path_factory.mktemp("awkward")
    spec = base / "awkward.proto"
    spec.write_text(AWKWARD)
    out = write_tree(generate_files(spec, "awkward_pkg"), base / "out")
    return out, import_from(out, "awkward_pkg")


def test_a_file_without_package_is_exported_by_the_package_itself(awkward: tuple[Path, ModuleType]) -> None:
    _, pkg = awkward
    thing = pkg.Thing(str="s", bytes=b"b", by_flag={True: pkg.Thing(str="nested")})
    assert pkg.Thing.FromString(thing.SerializeToString()).by_flag[True].str == "nested"
    assert {"EchoClient", "AsyncEchoClient", "EchoServicer", "RetryPolicy"} <= set(pkg.__all__)
    # RPC names that would shadow client attributes are renamed, never the attributes.
    assert callable(pkg.EchoClient.close_2) and callable(pkg.EchoClient.with_options_2)
    assert pkg.EchoClient.close is not pkg.EchoClient.close_2


def test_awkward_output_passes_mypy_strict_and_ruff(awkward: tuple[Path, ModuleType]) -> None:
    out, _ = awkward
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(out / ".mypy"), "awkward_pkg"],
        cwd=out, capture_output=True, text=True, check=False,
    )
    assert mypy.returncode == 0, mypy.stdout[-3000:]
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "awkward_pkg"],
        cwd=out, capture_output=True, text=True, check=False,
    )
    assert ruff.returncode == 0, ruff.stdout[-3000:]


def test_the_service_config_agrees_with_the_runtime_policy(acme_out: Path, acme: ModuleType) -> None:
    from tests.grpc.conftest import PACKAGE

    config = json.loads((acme_out / PACKAGE / "service_config.json").read_text())
    client = import_from(acme_out, f"{PACKAGE}._runtime.grpc_client")
    policy = import_from(acme_out, f"{PACKAGE}._runtime.policy")
    retry, budget = acme.RetryPolicy(), acme.RetryBudget()
    (method,) = config["methodConfig"]
    assert {n["service"] for n in method["name"]} == {"acme.catalog.v1.CatalogService", "acme.orders.v1.OrderService"}
    assert method["timeout"] == f"{policy.DEFAULT_TIMEOUT:g}s"
    assert method["retryPolicy"] == {
        "maxAttempts": min(retry.max_attempts, client.MAX_ATTEMPTS),
        "initialBackoff": f"{retry.base_delay:g}s",
        "maxBackoff": f"{retry.max_delay:g}s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": sorted(code.name for code in client.DEFAULT_RETRY_CODES),
    }
    assert config["retryThrottling"] == {"maxTokens": budget.max_tokens, "tokenRatio": budget.token_ratio}


def test_a_keyword_in_an_imported_files_path_is_laid_out_importably(tmp_path: Path) -> None:
    # protoc imports `a/class/v1/x.proto` with importlib.import_module('a.class.v1.x_pb2'),
    # an absolute name outside the package: it becomes a relative import of `class_`.
    (tmp_path / "acme" / "class" / "v1").mkdir(parents=True)
    (tmp_path / "acme" / "app" / "v1").mkdir(parents=True)
    (tmp_path / "acme" / "class" / "v1" / "x.proto").write_text(
        'syntax = "proto3";\npackage acme.klass.v1;\nmessage X { string s = 1; }\n'
    )
    spec = tmp_path / "acme" / "app" / "v1" / "y.proto"
    spec.write_text(
        'syntax = "proto3";\npackage acme.app.v1;\nimport "acme/class/v1/x.proto";\n'
        "message Y { acme.klass.v1.X x = 1; }\nservice S { rpc Get(Y) returns (Y); }\n"
    )
    files = generate_files(spec, "keyword_pkg", includes=[tmp_path])
    assert "importlib" not in files["keyword_pkg/_pb/acme/app/v1/y_pb2.py"]
    out = write_tree(files, tmp_path / "out")
    app = import_from(out, "keyword_pkg.acme.app.v1")
    assert app.Y(x={"s": "hi"}).x.s == "hi"
