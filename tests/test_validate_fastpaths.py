"""The validator's shortcuts (decoding a dict without a step per field, parsing a JSON field with
json's scanner alone, explaining an error from what is known of its place) change no verdict."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contract_kit import validate, validator_for
from contract_kit.wire import Decoder, _loads

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
FIELD_TEXT = st.one_of(
    st.text(max_size=30),
    JSONISH.map(json.dumps),
    JSONISH.map(lambda v: f" {json.dumps(v)}\n"),
    JSONISH.map(lambda v: json.dumps(v) + "x"),
    st.sampled_from(["", "\ufeff{}", "[" * 3000, "NaN", "-Infinity", '"\\ud800"', "1e999", "{", '{"a":1}{']),
)


def _outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        return ("value", json.dumps(parse(text), sort_keys=True))
    except RecursionError:
        return ("deep", None)
    except ValueError as exc:
        return (type(exc).__name__, str(exc))


@given(FIELD_TEXT)
def test_loads_is_json_loads(text: str) -> None:
    assert _outcome(_loads, text) == _outcome(json.loads, text)


@given(
    st.dictionaries(
        st.sampled_from(["Channel", "Routing", "WebhookTtid", "PageSize", "Other", "a/b~c"]) | st.text(max_size=4),
        FIELD_TEXT | JSONISH | st.binary(max_size=6),
        max_size=5,
    )
)
def test_decoding_a_dict_skips_only_steps_that_change_nothing(payload: dict[str, Any]) -> None:
    """`_fields` visits only the fields that may need work; the step-per-field loop it replaced
    (`_renamed`, still used for SDK keywords) gives the same fields and notes."""
    decoder = Decoder(
        ["Channel", "Routing", "WebhookTtid", "PageSize"], ["Channel", "Routing"], integer_fields=["PageSize"]
    )
    fast_notes: dict[str, str] = {}
    loop_notes: dict[str, str] = {}
    fast = decoder._fields(payload, fast_notes)
    assert repr(fast) == repr(decoder._renamed(payload, loop_notes))
    assert fast_notes == loop_notes
    assert fast is not payload


def test_explanations_kept_per_place_survive_their_cache_starting_over() -> None:
    """More distinct places than a validator keeps: the same reports, first pass and second."""
    payload = {"Channel": {"type": "sms", "initiated_by": "api", "participants": [{"address": 1}] * 3_000}}
    first = validate(payload)
    assert len(validator_for()._places) <= 4096
    assert validate(payload) == first
    assert len(first.errors) == 2 * 3_000 + 1
