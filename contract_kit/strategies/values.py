"""Realistic leaf values, keyed by what a schema node says (its `format`, else its `pattern`).

The registry is data: each entry recognises a schema node and returns a Hypothesis strategy for
it, in two moods. *Realistic* (the default) keeps contact data fictional — phone numbers in the
reserved +1 NXX 555-01XX range, e-mail addresses at `example.com`/`example.org` — so that a
payload sent to a live account can reach no real person. *Fuzz* widens every entry to its whole
format, for hammering a mock. Nodes the registry does not know fall back to the generic
keywords (`pattern`, `minLength`, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "FREE_TEXT_SAMPLES",
    "ValueFormat",
    "ValueRegistry",
    "default_registry",
    "e164",
    "email_address",
    "sid",
]

StringFactory = Callable[[re.Match[str], bool], st.SearchStrategy[str]]
"""(what recognised the node, fuzz) -> strategy of strings that satisfy the node."""

_HEX = "0123456789abcdef"
_E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"
_EMAIL_DOMAINS = ("example.com", "example.org")
_EMAIL_NAMES = ("support", "alice", "bob", "carol.diaz", "dev+flex", "o.brien")

FREE_TEXT_SAMPLES: tuple[str, ...] = (
    "alice",
    "agent.smith",
    "Zoë Ørsted",
    "李雷",
    "O'Brien (sales)",
    "user@example.com",
    "support:tier-2",
    "مرحبا",
)
"""Readable free text first (what shrinking lands on), with Unicode and URI-reserved characters."""


def sid(prefix: str, *, fuzz: bool = False) -> st.SearchStrategy[str]:
    """A Twilio SID: two-letter prefix + 32 hex digits (lower case as issued; any case in fuzz)."""
    alphabet = _HEX + "ABCDEF" if fuzz else _HEX
    return st.text(alphabet, min_size=32, max_size=32).map(lambda digits: prefix + digits)


def e164(*, fuzz: bool = False) -> st.SearchStrategy[str]:
    """An E.164 number; by default a fictional North American one, +1 NXX 555-01XX."""
    if fuzz:
        return st.from_regex(re.compile(_E164_PATTERN), fullmatch=True)
    return st.builds(
        "+1{}{:02d}55501{:02d}".format,
        st.sampled_from("23456789"),
        st.integers(0, 99),
        st.integers(0, 99),
    )


def email_address(*, fuzz: bool = False) -> st.SearchStrategy[str]:
    """An e-mail address; by default at example.com / example.org (RFC 2606)."""
    if fuzz:
        return st.emails()
    local = st.one_of(
        st.sampled_from(_EMAIL_NAMES),
        st.builds("{}{}".format, st.sampled_from(_EMAIL_NAMES), st.integers(1, 99)),
    )
    return st.builds("{}@{}".format, local, st.sampled_from(_EMAIL_DOMAINS))


def _sid_factory(match: re.Match[str], fuzz: bool) -> st.SearchStrategy[str]:
    return sid(match.group("prefix"), fuzz=fuzz)


def _e164_factory(match: re.Match[str], fuzz: bool) -> st.SearchStrategy[str]:
    return e164(fuzz=fuzz)


def _whatsapp_factory(match: re.Match[str], fuzz: bool) -> st.SearchStrategy[str]:
    return e164(fuzz=fuzz).map(lambda number: "whatsapp:" + number)


def _email_factory(match: re.Match[str], fuzz: bool) -> st.SearchStrategy[str]:
    return email_address(fuzz=fuzz)


@dataclass(frozen=True)
class ValueFormat:
    """One registry entry: recognises a node by its `format` name or its `pattern` text."""

    name: str
    factory: StringFactory
    format_re: re.Pattern[str] | None = None
    pattern_re: re.Pattern[str] | None = None

    def recognise(self, node: Mapping[str, Any]) -> re.Match[str] | None:
        fmt, pattern = node.get("format"), node.get("pattern")
        if self.format_re is not None and isinstance(fmt, str):
            found = self.format_re.fullmatch(fmt)
            if found:
                return found
        if self.pattern_re is not None and isinstance(pattern, str):
            return self.pattern_re.fullmatch(pattern)
        return None


@dataclass
class ValueRegistry:
    """Ordered value formats; the first that recognises a node supplies its strings."""

    formats: list[ValueFormat] = field(default_factory=list)

    def register(self, value_format: ValueFormat) -> None:
        """Add a format; it takes precedence over those registered before it."""
        self.formats.insert(0, value_format)

    def strings(self, node: Mapping[str, Any], *, fuzz: bool = False) -> st.SearchStrategy[str] | None:
        """A strategy for the strings `node` describes, or None when no entry knows it."""
        for value_format in self.formats:
            found = value_format.recognise(node)
            if found is not None:
                return value_format.factory(found, fuzz)
        return None

    def schemathesis_strategies(
        self, document: Mapping[str, Any], *, fuzz: bool = False
    ) -> dict[str, st.SearchStrategy[str]]:
        """`format` name -> strategy, for every format name the document uses that we recognise."""
        out: dict[str, st.SearchStrategy[str]] = {}
        for name in sorted(_format_names(document)):
            strategy = self.strings({"format": name}, fuzz=fuzz)
            if strategy is not None:
                out[name] = strategy
        return out


def _format_names(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            if isinstance(current.get("format"), str):
                found.add(current["format"])
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def default_registry() -> ValueRegistry:
    """The registry the strategies use unless given another: SIDs, E.164, WhatsApp, e-mail."""
    return ValueRegistry(
        [
            ValueFormat(
                "twilio-sid",
                _sid_factory,
                format_re=re.compile(r"twilio-sid-(?P<prefix>[A-Z]{2})"),
                pattern_re=re.compile(r"\^(?P<prefix>[A-Z]{2})\[0-9a-fA-F\]\{32\}\$"),
            ),
            ValueFormat(
                "e164",
                _e164_factory,
                format_re=re.compile("e164"),
                pattern_re=re.compile(re.escape(_E164_PATTERN)),
            ),
            ValueFormat(
                "whatsapp-address",
                _whatsapp_factory,
                format_re=re.compile("whatsapp-address"),
                pattern_re=re.compile(re.escape("^whatsapp:" + _E164_PATTERN[1:])),
            ),
            ValueFormat("email", _email_factory, format_re=re.compile("email")),
        ]
    )
