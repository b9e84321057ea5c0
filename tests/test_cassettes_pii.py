"""Customers' data and credentials never reach a cassette (`flex_vcr(scrub_pii=True)`), and the
cassette still validates and still replays."""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from helpers import valid_cell
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_kit.cassettes import check_cassette, flex_vcr
from contract_kit.cassettes.pii import PiiScrubber
from contract_kit.mock import MockServer
from contract_kit.validate import validate
from contract_kit.wire import encode_body

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

phones = st.from_regex(r"\+1[2-46-9][0-9]{9}", fullmatch=True)  # never a +1555 fake
emails = st.from_regex(r"[a-z]{4,10}\.[a-z]{4,10}@[a-z]{4,10}\.(com|org|net)", fullmatch=True)
names = st.from_regex(r"[A-Z][a-z]{5,9} [A-Z][a-z]{5,9}", fullmatch=True)
secrets = st.from_regex(r"[0-9a-f]{32}", fullmatch=True)


def test_fakes_keep_the_format_and_are_deterministic() -> None:
    pii = PiiScrubber()
    assert E164.match(pii.phone("+14155550100")) and pii.phone("+14155550100") == pii.phone("+14155550100")
    assert pii.phone("+14155550100") != pii.phone("+14155550101")
    assert EMAIL.match(pii.email("Ada.Lovelace@corp.io")) and pii.email("a@b.io") == PiiScrubber().email("a@b.io")
    assert pii.text("whatsapp:+447700900123").startswith("whatsapp:+1555")
    assert pii.phone(pii.phone("+14155550100")) == pii.phone("+14155550100")  # scrubbing twice is stable


def _encodings(value: str) -> set[str]:
    """How a value can appear in a cassette: as is, percent-encoded, JSON-escaped."""
    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


def hidden(values: list[str]) -> st.SearchStrategy[Any]:
    """JSON of any shape whose leaves are the planted values, alone or inside some text."""
    keys = st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(lambda k: k not in ("name", "identity"))
    leaves = st.sampled_from(values) | st.sampled_from(values).map(lambda v: f"see {v}, thanks")
    return st.recursive(leaves, lambda inner: st.lists(inner, min_size=1, max_size=3)
                        | st.dictionaries(keys, inner, min_size=1, max_size=3), max_leaves=8)


def _record(server: MockServer, folder: Path, secret: str, phone: str, email: str, name: str,
            whatsapp: str, attributes: Any = None) -> Path:
    """Record a session with PII and a secret planted in requests (and echoed in responses): in
    participants, a URL query, a header, a form field, and anywhere in the routing attributes."""
    sms = copy.deepcopy(valid_cell("sms", "api"))
    sms["Channel"]["participants"] = [{"address": phone, "proxy_address": "+15555550100"}]
    sms["Routing"]["properties"]["attributes"] = {"note": f"call {phone} or mail {email}", "ref": secret,
                                                  "customer": {"name": name}, "anywhere": attributes}
    mail = copy.deepcopy(valid_cell("email", "api"))
    mail["Channel"]["participants"] = [{"level": "to", "address": email, "name": name}]
    wa = copy.deepcopy(valid_cell("whatsapp", "api"))
    wa["Channel"]["participants"] = [{"address": whatsapp, "proxy_address": "whatsapp:+15555550100"}]
    form = {"Content-Type": "application/x-www-form-urlencoded", "X-Note": f"for {email} {secret}"}
    with flex_vcr(folder, record_mode="once", secrets=[secret], scrub_pii=True).use_cassette("planted"), \
            httpx.Client(base_url=server.url, auth=server.auth, timeout=10) as http:
        for payload in (sms, mail, wa):
            assert validate(payload).valid
            created = http.post("/v1/Interactions", content=encode_body(payload, ["Channel", "Routing"]),
                                headers=form)
            assert created.status_code == 200, created.text
        sid = created.json()["sid"]
        http.post(f"/v1/Interactions/{sid}", content=f"WebhookTtid={quote_plus(email)}", headers=form)
        http.get(f"/v1/Interactions/{sid}", params={"note": phone})
    return folder / "planted.yaml"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=secrets, phone=phones, email=emails, name=names, whatsapp=phones.map(lambda p: "whatsapp:" + p),
       data=st.data())
def test_no_planted_secret_or_personal_data_reaches_the_file(
    server: MockServer, secret: str, phone: str, email: str, name: str, whatsapp: str, data: st.DataObject
) -> None:
    attributes = data.draw(hidden([secret, phone, email, whatsapp]), label="attributes")
    with tempfile.TemporaryDirectory() as folder:
        path = _record(server, Path(folder), secret, phone, email, name, whatsapp, attributes)
        text = path.read_text()
        for planted in (secret, phone, email, name, whatsapp, whatsapp.removeprefix("whatsapp:")):
            leaked = [form for form in _encodings(planted) if form in text]
            assert not leaked, (planted, leaked)
        report = check_cassette(path, secrets=[secret])
        # the recording still satisfies the contract: the fakes keep the formats the rules ask for
        assert report.ok, report.describe()
        assert "+1555" in text and "@example.com" in text and "Person " in text


def test_a_cassette_recorded_with_fakes_replays_the_real_requests(server: MockServer, tmp_path: Path) -> None:
    """vcrpy scrubs a live request before matching it: the same real data finds the faked recording."""
    payload = copy.deepcopy(valid_cell("email", "api"))
    payload["Channel"]["participants"] = [{"level": "to", "address": "ada.lovelace@corp.io", "name": "Ada Lovelace"}]
    body = encode_body(payload, ["Channel", "Routing"])
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def session(record_mode: str) -> Any:
        with flex_vcr(tmp_path, record_mode=record_mode, scrub_pii=True).use_cassette("replay"), \
                httpx.Client(base_url=server.url, auth=server.auth, timeout=10) as http:
            return http.post("/v1/Interactions", content=body, headers=headers).json()

    recorded = session("once")
    replayed = session("none")  # no server traffic allowed: only the cassette answers
    assert replayed == json.loads(json.dumps(replayed)) and replayed["sid"] == recorded["sid"]
    assert "ada.lovelace" not in (tmp_path / "replay.yaml").read_text()


@given(st.binary(max_size=64), phones)
def test_any_body_is_scrubbed_without_error(junk: bytes, phone: str) -> None:
    """Junk bodies (the run sends some on purpose) keep their bytes; a number inside is still found."""
    pii = PiiScrubber()
    form = "application/x-www-form-urlencoded"
    for content_type in (form, "application/json", ""):
        planted = (quote_plus(phone) if content_type == form else phone).encode()  # a form's `+` is a space
        scrubbed = pii.body(junk + b"&note=" + planted + b"&" + junk, content_type)
        assert isinstance(scrubbed, bytes) and planted not in scrubbed
