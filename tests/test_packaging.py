"""The package as users install it: a wheel that carries the contract, and the pytest plugin."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (built,) = out.glob("contract_kit-*.whl")
    return built


def test_wheel_carries_the_contract_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "contract_kit/openapi/interactions.yaml" in names
    assert "contract_kit/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "contract-kit = contract_kit.cli:main" in text
    assert "contract_kit = contract_kit.plugin" in text


def test_installed_wheel_finds_its_contract_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True
    )
    code = (
        "import contract_kit, contract_kit.contract as c;"
        "print(contract_kit.__file__); print(c.default_document_path());"
        "print(contract_kit.validate({'Channel': {}}).valid)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    module, document, verdict = proc.stdout.split()
    assert module.startswith(str(target)) and document.startswith(str(target))
    assert verdict == "False"


def test_plugin_registers_its_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.contract("CreateInteraction")
        def test_marked():
            pass
        """
    )
    result = pytester.runpytest("--strict-markers")  # loaded through the pytest11 entry point
    result.assert_outcomes(passed=1)
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["*@pytest.mark.contract(operation)*"])


def test_plugin_makes_the_shipped_hypothesis_profiles_selectable(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from hypothesis import settings

        def test_profile():
            assert settings.default.derandomize is True
            assert settings.default.database is None
        """
    )
    pytester.runpytest("--hypothesis-profile=ci").assert_outcomes(passed=1)
    pytester.runpytest("--hypothesis-profile=dev").assert_outcomes(failed=1)
