"""Schemathesis, over our document, draws our realistic values once our formats are registered."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings

from contract_kit import default_contract, validate
from contract_kit.schemathesis_ext import formats_registered

SID = re.compile(r"^WS[0-9a-f]{32}$")  # ours: lower-case hex, as Twilio issues them


def _invite_bodies() -> list[object]:
    import schemathesis

    schema = schemathesis.openapi.from_dict(default_contract().document)
    operation = schema["/v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Invites"]["POST"]
    bodies: list[object] = []

    @settings(max_examples=25, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def collect(case: object) -> None:
        bodies.append(case.body)  # type: ignore[attr-defined]

    collect()
    return bodies


def test_schemathesis_generates_our_values() -> None:
    with formats_registered() as names:
        assert "twilio-sid-WS" in names and "e164" in names and "email" not in names
        bodies = _invite_bodies()
    assert bodies
    sids = [b["Routing"]["properties"]["workspace_sid"] for b in bodies]  # type: ignore[index]
    assert all(SID.match(s) for s in sids), sids
    assert all(validate(b, "CreateInteractionChannelInvite").valid for b in bodies)
