"""The example proto set, generated once per test process into a temporary directory."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from tests.grpc.support import EXAMPLE_SPEC, generate_files, import_from, write_tree

PACKAGE = "acme_shop_t"


@pytest.fixture(scope="session")
def acme_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("acme")
    return write_tree(generate_files(EXAMPLE_SPEC, PACKAGE), out)


@pytest.fixture(scope="session")
def acme(acme_out: Path) -> ModuleType:
    """The generated root package (``acme_shop_t``)."""
    return import_from(acme_out, PACKAGE)


@pytest.fixture(scope="session")
def orders(acme: ModuleType, acme_out: Path) -> ModuleType:
    return import_from(acme_out, f"{PACKAGE}.acme.orders.v1")


@pytest.fixture(scope="session")
def catalog(acme: ModuleType, acme_out: Path) -> ModuleType:
    return import_from(acme_out, f"{PACKAGE}.acme.catalog.v1")


@pytest.fixture(scope="session")
def common(acme: ModuleType, acme_out: Path) -> ModuleType:
    return import_from(acme_out, f"{PACKAGE}.acme.common.v1")
