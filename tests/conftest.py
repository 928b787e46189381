"""Pure-Python tests of debt_relations/services: no Odoo, no database.

The addon's package imports Odoo, so the services package is imported on its
own, as ``services``, from the addon folder.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "debt_relations"))


# pytest-odoo (requirements-dev.txt) loads an Odoo registry for every pytest
# session; these tests need none: its session fixtures do nothing here, so
# `pytest tests/` runs without a database (bin/test runs both in one session).
@pytest.fixture(scope="session", autouse=True)
def load_registry():
    yield


@pytest.fixture(scope="session", autouse=True)
def load_http():
    yield


@pytest.fixture(scope="module", autouse=True)
def enable_odoo_test_flag():
    yield
