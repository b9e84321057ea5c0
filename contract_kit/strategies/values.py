"""Realistic leaf values, keyed by what a schema node says (its `format`, else its `pattern`).

The registry is data: each entry recognises a schema node and returns a Hypothesis strategy for
it, in two moods. *Realistic* (the default) keeps contact data fictional — phone numbers in the
reserved +1 NXX 555-01XX range, e-mail addresses at `example.com`/`example.org` — so that a
payload sent to a live account can reach no real person. *Fuzz* widens every entry to its whole
format, for hammering a mock. Nodes the registry does not know fall back to the generic
keywords (`pattern`, `minLength`, ...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "FREE_TEXT_SAMPLES",
    "Decoded",
    "ValueFormat",
    "ValueRegistry",
    "default_registry",
    "e164",
    "email_address",
    "sid",
]

StringFactory = Callable[[re.Match[str], bool], "st.SearchStrategy[str] | Decoded"]
"""(what recognised the node, fuzz) -> strategy of strings that satisfy the node (or a `Decoded`)."""

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


@dataclass(frozen=True)
class Decoded:
    """A leaf drawn as `raw` and decoded in Python: what `raw.map(decode)` draws.

    A factory may return one instead of a strategy; the payload engine then draws `raw` and
    decodes it itself, without what `.map` costs on every draw (two more spans and a warnings
    context, as much as the draw itself). `strategy()` is the plain strategy, for everyone else."""

    raw: st.SearchStrategy[Any]
    decode: Callable[[Any], str]

    def strategy(self) -> st.SearchStrategy[str]:
        return self.raw.map(self.decode)


def sid(prefix: str, *, fuzz: bool = False) -> st.SearchStrategy[str]:
    """A Twilio SID: two-letter prefix + 32 hex digits (lower case as issued; any case in fuzz)."""
    return _as_strategy(_sid(prefix, fuzz))


def e164(*, fuzz: bool = False) -> st.SearchStrategy[str]:
    """An E.164 number; by default a fictional North American one, +1 NXX 555-01XX."""
    return _as_strategy(_e164(fuzz))


def email_address(*, fuzz: bool = False) -> st.SearchStrategy[str]:
    """An e-mail address; by default at example.com / example.org (RFC 2606)."""
    return _as_strategy(_email(fuzz))


def _as_strategy(leaf: st.SearchStrategy[str] | Decoded) -> st.SearchStrategy[str]:
    return leaf.strategy() if isinstance(leaf, Decoded) else leaf


# Realistic values are a few random bytes, one choice, decoded here: 16 bytes draw in under half
# the time of 32 hex characters, 3 bytes in a fraction of `builds` of three choices (measured with
# Hypothesis 6.170), and a wide bounded integer would lean to small values where bytes stay
# uniform; zero bytes shrink to `00…0`, the first digit, name and domain.


def _sid(prefix: str, fuzz: bool) -> st.SearchStrategy[str] | Decoded:
    if fuzz:
        return st.text(_HEX + "ABCDEF", min_size=32, max_size=32).map(lambda digits: prefix + digits)
    return Decoded(st.binary(min_size=16, max_size=16), functools.partial(_hex_sid, prefix))


def _hex_sid(prefix: str, raw: bytes) -> str:
    return prefix + raw.hex()


def _e164(fuzz: bool, scheme: str = "") -> st.SearchStrategy[str] | Decoded:
    if fuzz:
        numbers = st.from_regex(re.compile(_E164_PATTERN), fullmatch=True)
        return numbers.map(lambda number: scheme + number) if scheme else numbers
    return Decoded(st.binary(min_size=3, max_size=3), functools.partial(_fictional_number, scheme))


def _fictional_number(scheme: str, raw: bytes) -> str:
    n = int.from_bytes(raw, "big") % (8 * 100 * 100)
    return f"{scheme}+1{2 + n // 10000}{n // 100 % 100:02d}55501{n % 100:02d}"


def _email(fuzz: bool) -> st.SearchStrategy[str] | Decoded:
    if fuzz:
        return st.emails()
    return Decoded(st.binary(min_size=3, max_size=3), _fictional_email)


def _fictional_email(raw: bytes) -> str:
    n = int.from_bytes(raw, "big")
    name, n = _EMAIL_NAMES[n % len(_EMAIL_NAMES)], n // len(_EMAIL_NAMES)
    suffix, n = n % 198, n // 198  # half without a number, half with 1..99
    number = str(suffix - 98) if suffix > 98 else ""
    return f"{name}{number}@{_EMAIL_DOMAINS[n % len(_EMAIL_DOMAINS)]}"


def _sid_factory(match: re.Match[str], fuzz: bool) -> st.SearchStrategy[str] | Decoded:
    return _sid(match.group("prefix"), fuzz)


def _e164_factory(match: re.Match[str], fuzz: bool) -> st.SearchStrategy[str] | Decoded:
    return _e164(fuzz)


def _whatsapp_factory(match: re.Match[str], fuzz: bool) -> st.SearchStrategy[str] | Decoded:
    return _e164(fuzz, "whatsapp:")


def _email_factory(match: re.Match[str], fuzz: bool) -> st.SearchStrategy[str] | Decoded:
    return _email(fuzz)


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
        leaf = self.leaf(node, fuzz=fuzz)
        return None if leaf is None else _as_strategy(leaf)

    def leaf(self, node: Mapping[str, Any], *, fuzz: bool = False) -> st.SearchStrategy[str] | Decoded | None:
        """What the first entry that knows `node` supplies, as its factory gives it."""
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
