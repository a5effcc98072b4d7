"""Shared pytest configuration: which database we run on, and browser availability."""

import os
import shutil

import pytest
from django.conf import settings
from django.utils import translation


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"palaute: database={engine}, chromium={shutil.which('chromium') or 'missing'}"


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.skip("Debian chromium is not installed (make test installs it with apt-get)")
    return path


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default UI language (Finnish), whatever an earlier test in the
    same worker activated; a test that reads English text says so with translation.override."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
