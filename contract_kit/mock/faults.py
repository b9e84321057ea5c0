"""The catalogue of server bugs the mock can be told to have (`--fault NAME[:ARG]`).

Each fault is one realistic defect of a Flex-like server, observable over HTTP, so that a contract
suite (`contract-kit run`) can prove it catches it. `detection` says how: which request shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    detection: str
    default_argument: str | None = None


CATALOGUE: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault(
            "accept-rule",
            "Accepts request bodies whose only errors break rule ARG (default customer.media_channel_sid), "
            "answering as if they were valid.",
            "a payload breaking that rule gets 2xx instead of 400/20001",
            "customer.media_channel_sid",
        ),
        Fault(
            "reject-cell",
            "Rejects every valid CreateInteraction of the cell TYPE/INITIATED_BY (default email/api) with 400/20001.",
            "a valid payload of that cell gets 400",
            "email/api",
        ),
        Fault(
            "crash-on-edge",
            "Answers 500 to legal edge inputs: PageSize=1000 (the documented maximum) and an empty WebhookTtid.",
            "a boundary value of a valid request gets a 5xx",
        ),
        Fault(
            "crash-on-junk",
            "Answers 500 text/plain to malformed bodies (non-UTF-8, bad urlencoding, duplicated fields, "
            "JSON that is not an object) instead of 400/20001.",
            "a malformed body gets a 5xx",
        ),
        Fault(
            "non-vendor-error",
            "Sends 4xx errors as RFC 9457 problem details (type, title, status, detail) without the "
            "vendor's code and more_info.",
            "an error body does not match VendorError",
        ),
        Fault(
            "wrong-error-code",
            "Sends 404 answers with code 20001 instead of 20404.",
            "a 404 body does not match NotFound (code 20404)",
        ),
        Fault(
            "wrong-status",
            "Answers the four creates with 202 Accepted, a status the contract does not declare.",
            "a create gets an undocumented status code",
        ),
        Fault(
            "wrong-content-type",
            "Serves success bodies as text/html instead of application/json.",
            "a 2xx Content-Type is not the documented application/json",
        ),
        Fault(
            "malformed-sid",
            "Answers resource SIDs one hex digit short (KD + 31 hex).",
            "a response sid does not match its ^XX[0-9a-fA-F]{32}$ pattern",
        ),
        Fault(
            "missing-links",
            "Leaves `links` out of interaction and channel responses.",
            "a response lacks a required member (links)",
        ),
        Fault(
            "relative-next-page",
            "Gives list meta URLs (url, first_page_url, next/previous_page_url) as paths, not absolute URLs.",
            "meta URLs are not absolute; the vendor client cannot follow next_page_url",
        ),
        Fault(
            "lost-state",
            "Answers CreateInteraction with 200 but stores nothing.",
            "fetching a just-created interaction (its links) gets 404",
        ),
        Fault(
            "ignored-updates",
            "Answers updates (interaction, channel, participant, transfer) with the new values but keeps the old ones.",
            "a fetch after an update shows the old value",
        ),
        Fault(
            "stuck-in-setup",
            "Channels never leave `setup`.",
            "a channel fetched after creation is still in setup",
        ),
        Fault(
            "ignore-page-size",
            "Lists ignore PageSize and return every item on one page.",
            "a list page holds more items than PageSize",
        ),
        Fault(
            "no-auth-check",
            "Does not check credentials: a request without (or with wrong) credentials acts as the first account.",
            "a request without valid credentials gets something other than 401/20003",
        ),
        Fault(
            "cross-account-leak",
            "Looks resources up across accounts: another account's interaction is served instead of 404.",
            "account B fetches account A's interaction and gets 200",
        ),
    )
}


class UnknownFaultError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown fault {name!r}; known faults: {', '.join(sorted(CATALOGUE))}")


class Faults:
    """The faults switched on, each with its argument (`name` or `name:argument`)."""

    def __init__(self, specs: Iterable[str] = ()) -> None:
        self._active: dict[str, str | None] = {}
        for spec in specs:
            name, sep, argument = spec.strip().partition(":")
            fault = CATALOGUE.get(name)
            if fault is None:
                raise UnknownFaultError(name)
            self._active[name] = argument if sep and argument else fault.default_argument

    def __contains__(self, name: object) -> bool:
        return name in self._active

    def __iter__(self) -> Iterator[str]:
        return iter(self._active)

    def __bool__(self) -> bool:
        return bool(self._active)

    def argument(self, name: str) -> str | None:
        return self._active.get(name)

    def __repr__(self) -> str:
        return f"Faults({[n if a is None else f'{n}:{a}' for n, a in self._active.items()]!r})"


def describe() -> str:
    """The catalogue as text, one fault per paragraph (what `--list-faults` prints)."""
    lines = []
    for fault in CATALOGUE.values():
        head = fault.name if fault.default_argument is None else f"{fault.name}[:ARG={fault.default_argument}]"
        lines.append(f"{head}\n    {fault.description}\n    detected by: {fault.detection}")
    return "\n".join(lines)
