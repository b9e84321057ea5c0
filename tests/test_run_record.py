"""`run --record DIR`: the run's exchanges as cassettes, one per operation, with no credential on
disk; `cassettes check DIR` passes a recording of a conforming server and flags a planted one."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from contract_kit.cli import main
from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer
from contract_kit.run import RunOptions, run_suite

SELECTED = ("CreateInteraction", "FetchInteraction", "UpdateInteraction")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run against the mock served on loopback (real HTTP, real Basic credentials), recorded."""
    folder = tmp_path_factory.mktemp("recorded")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
        patch.setenv("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
        with MockServer() as server:
            result = run_suite(RunOptions(base_url=server.url, seed=1, max_examples=2, operation_ids=SELECTED,
                                          record_dir=str(folder)))
    assert result.exit_code == 0, [f"{f.check} {f.message}" for f in result.findings[:5]]
    assert any(note.startswith(f"recorded: {len(list(folder.glob('*.yaml')))} cassette(s)") for note in result.notes)
    return folder


def test_one_cassette_per_operation_the_run_sent_requests_to(recording: Path) -> None:
    assert {p.stem for p in recording.glob("*.yaml")} == set(SELECTED)
    data = yaml.safe_load((recording / "CreateInteraction.yaml").read_text())
    assert len(data["interactions"]) > 21  # one valid create per cell, and the rules broken alone


def test_no_credential_reaches_the_disk(recording: Path) -> None:
    basic = base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}".encode()).decode()
    for path in recording.glob("*.yaml"):
        text = path.read_text()
        assert DEFAULT_AUTH_TOKEN not in text and basic not in text and "authorization" not in text.lower()


def test_cassettes_check_passes_the_recording_and_flags_a_planted_credential(recording: Path,
                                                                               tmp_path: Path) -> None:
    checked = CliRunner().invoke(main, ["cassettes", "check", str(recording)])
    assert checked.exit_code == 0, checked.output
    data = yaml.safe_load((recording / "FetchInteraction.yaml").read_text())
    data["interactions"][0]["request"]["headers"]["X-Token"] = [DEFAULT_AUTH_TOKEN]
    planted = tmp_path / "planted.yaml"
    planted.write_text(yaml.safe_dump(data))
    flagged = CliRunner().invoke(main, ["cassettes", "check", str(planted)],
                                 env={"TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN})
    assert flagged.exit_code == 1 and "secret" in flagged.output and DEFAULT_AUTH_TOKEN not in flagged.output


def test_the_cli_documents_record_and_scrub_pii() -> None:
    helped = CliRunner().invoke(main, ["run", "--help"])
    assert "--record DIR" in helped.output and "--scrub-pii" in helped.output


def test_run_record_scrub_pii_from_the_command_line(tmp_path: Path) -> None:
    """As a user types it, against the embedded mock: customers' numbers in the recording are fakes,
    and the recording still passes `cassettes check`."""
    folder = tmp_path / "recorded"
    done = CliRunner().invoke(main, ["run", "--operation-id", "CreateInteraction", "--max-examples", "1",
                                     "--seed", "1", "--record", str(folder), "--scrub-pii"])
    assert done.exit_code == 0, done.output
    text = (folder / "CreateInteraction.yaml").read_text()
    assert "%2B1555" in text or "+1555" in text
    assert not re.search(r"%2B1(?!555)[2-9][0-9]{9}|\+1(?!555)[2-9][0-9]{9}", text)  # no real-looking number
    checked = CliRunner().invoke(main, ["cassettes", "check", str(folder)])
    assert checked.exit_code == 0, checked.output
