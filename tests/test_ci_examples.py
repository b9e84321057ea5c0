"""The CI and pre-commit examples install contract-kit from a pinned source the user names, never by
a bare package name that an index does not hold (and anyone could claim)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "examples" / "ci").glob("*.yml"))
BARE_INSTALL = re.compile(r"pip install\s+(?:-\S+\s+)*[\"']?contract-kit(?![\w.-])(?!\s*@)")


def _steps(workflow: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    return [step for job in document["jobs"].values() for step in job["steps"]]


def _installs(workflow: Path) -> list[dict[str, Any]]:
    return [s for s in _steps(workflow) if "pip install" in s.get("run", "")]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_install_step_is_pinned_to_the_users_source(workflow: Path) -> None:
    installs = _installs(workflow)
    assert installs, f"{workflow.name} installs nothing"
    for step in installs:
        assert not BARE_INSTALL.search(step["run"]), step["run"]
        assert step["env"]["CONTRACT_KIT_SOURCE"] == "${{ vars.CONTRACT_KIT_SOURCE }}"
        assert '"contract-kit @ $CONTRACT_KIT_SOURCE"' in step["run"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_an_unset_source_stops_the_job_with_the_fix(workflow: Path) -> None:
    script = _installs(workflow)[0]["run"]
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        env={"PATH": "/usr/bin:/bin", "CONTRACT_KIT_SOURCE": ""},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "set the repository variable CONTRACT_KIT_SOURCE" in done.stdout


def test_the_pre_commit_example_pins_a_commit_not_a_tag_that_does_not_exist() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for text in (hooks, readme):
        assert not re.search(r"rev: v\d", text)
        assert "rev: <40-hex commit" in text
    entries = {hook["id"]: hook["entry"] for hook in yaml.safe_load(hooks)}
    assert entries == {
        "contract-kit-validate": "contract-kit validate",
        "contract-kit-validate-strict": "contract-kit validate --strict",
    }
