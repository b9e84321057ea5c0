"""A vcrpy `VCR` configured for Flex: YAML cassettes, no secrets, deterministic matching.

* Cassettes are YAML (`<name>.yaml`), human-readable and diffable.
* Secrets never reach a cassette: credential headers are dropped (`filter_headers` and the
  scrubber), and the scrubber removes Basic credentials and the values of `$TWILIO_AUTH_TOKEN`,
  `$TWILIO_API_SECRET` and any `secrets` given from URLs, headers and bodies, requests and
  responses alike. Account SIDs stay (they are identifiers, not credentials).
* Requests match on method, path, query and body (`MATCH_ON`), never on the host: a cassette
  recorded against the mock, a staging host or Flex replays whatever base URL the client has. The
  body matcher compares form bodies field by field, so field order does not matter.
* With `scrub_pii=True`, customers' phone numbers, WhatsApp addresses, emails and participant
  names become deterministic fakes of the same format (`contract_kit.cassettes.pii`), for
  cassettes recorded against staging.
* Record modes are vcrpy's: `none` (the default: replay only; a request with no recorded answer,
  or a missing cassette, fails), `once`, `new_episodes`, `all`.

vcrpy is imported when a VCR is built, never at import time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .secrets import SENSITIVE_HEADERS, Scrubber

RECORD_MODES = ("none", "once", "new_episodes", "all")
DEFAULT_RECORD_MODE = "none"
MATCH_ON = ("method", "path", "query", "body")
CASSETTE_SUFFIX = ".yaml"

RequestHook = Callable[[Any], Any]
ResponseHook = Callable[[dict[str, Any]], Any]


class RecordModeError(ValueError):
    """A record mode vcrpy does not have."""


def check_record_mode(mode: str) -> str:
    """`mode` if it is one of `RECORD_MODES`, else a `RecordModeError` listing them."""
    if mode not in RECORD_MODES:
        raise RecordModeError(f"unknown record mode {mode!r}; use one of: {', '.join(RECORD_MODES)}")
    return mode


def flex_vcr(
    cassette_dir: str | os.PathLike[str] | None = None,
    *,
    record_mode: str = DEFAULT_RECORD_MODE,
    match_on: Sequence[str] = MATCH_ON,
    secrets: Iterable[str] = (),
    scrub_pii: bool = False,
    before_record_request: RequestHook | Sequence[RequestHook] = (),
    before_record_response: ResponseHook | Sequence[ResponseHook] = (),
    **options: Any,
) -> Any:
    """A `vcr.VCR` for Flex traffic (see the module's docstring).

    `before_record_request`/`before_record_response` run first, then the personal-data scrubber
    (`scrub_pii`), then the secret scrubber, which always runs last; other keyword arguments go to
    `vcr.VCR` unchanged.

    >>> with flex_vcr("cassettes", record_mode="once").use_cassette("create.yaml"):
    ...     client.flex_api.v1.interaction.create(...)  # doctest: +SKIP
    """
    import vcr

    scrubber = Scrubber(secrets)
    requests = list(before_record_request) if isinstance(before_record_request, Sequence) else [before_record_request]
    responses = (
        list(before_record_response) if isinstance(before_record_response, Sequence) else [before_record_response]
    )
    if scrub_pii:
        from .pii import PiiScrubber

        pii = PiiScrubber()
        requests.append(pii.request)
        responses.append(pii.response)
    return vcr.VCR(
        serializer="yaml",
        cassette_library_dir=os.fspath(cassette_dir) if cassette_dir is not None else None,
        path_transformer=vcr.VCR.ensure_suffix(CASSETTE_SUFFIX),
        record_mode=check_record_mode(record_mode),
        match_on=tuple(match_on),
        filter_headers=[name.title() for name in SENSITIVE_HEADERS],
        before_record_request=[*requests, scrubber.request],
        before_record_response=[*responses, scrubber.response],
        decode_compressed_response=True,
        **options,
    )


def cassette_path(cassette_dir: str | os.PathLike[str], name: str) -> Path:
    """Where the cassette `name` lives (`.yaml` added when missing)."""
    path = Path(cassette_dir) / name
    return path if path.name.endswith(CASSETTE_SUFFIX) else path.with_name(path.name + CASSETTE_SUFFIX)


_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]=+,@]+")


def cassette_name_for(module: str, test: str) -> str:
    """`<module>/<test>.yaml`, the cassette of a test (characters unsafe in file names become `-`)."""
    stem = module.rsplit(".", 1)[-1]
    return f"{_UNSAFE.sub('-', stem)}/{_UNSAFE.sub('-', test).strip('-') or 'test'}{CASSETTE_SUFFIX}"
