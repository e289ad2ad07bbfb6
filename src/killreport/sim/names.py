"""Deterministic, pronounceable names and tickers for generated entities."""

from __future__ import annotations

import random

_ONSETS = (
    "b",
    "br",
    "c",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "h",
    "j",
    "k",
    "kr",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "z",
    "th",
    "sh",
    "x",
)
_VOWELS = ("a", "e", "i", "o", "u", "ae", "ia", "y", "ei", "ou")
_CODAS = ("", "", "n", "r", "s", "th", "k", "l", "x", "m")
_CORP_WORDS = (
    "Industries",
    "Holdings",
    "Logistics",
    "Syndicate",
    "Collective",
    "Corp",
    "Enterprises",
    "Mining",
    "Security",
    "Brotherhood",
    "Directorate",
    "Academy",
)
_ALLIANCE_WORDS = (
    "Alliance",
    "Coalition",
    "Federation",
    "Empire",
    "Pact",
    "Legion",
    "Consortium",
    "Union",
    "Order",
    "Armada",
)


def pick(rng: random.Random, items: tuple[str, ...] | list[str]) -> str:
    """A random element, cheaper than `Random.choice` (this runs a million times for `large`)."""
    return items[int(rng.random() * len(items))]


def word(rng: random.Random, syllables: int) -> str:
    """One capitalised made-up word."""
    parts = [pick(rng, _ONSETS) + pick(rng, _VOWELS) for _ in range(syllables)]
    return ("".join(parts) + pick(rng, _CODAS)).capitalize()


class NameBook:
    """Hands out unique names: a clash gets a numeric suffix."""

    def __init__(self, rng: random.Random) -> None:
        self._taken: set[str] = set()
        # Character names combine pooled given and family names (2,000 x 6,000 combinations).
        self._given = [word(rng, 1 + i % 2) for i in range(2_000)]
        self._family = [word(rng, 1 + i % 3) for i in range(6_000)]

    def claim(self, name: str) -> str:
        """Reserve a name, altering it until it is unique; return what was reserved."""
        candidate, counter = name, 1
        while candidate in self._taken:
            counter += 1
            candidate = f"{name} {counter}"
        self._taken.add(candidate)
        return candidate

    def character(self, rng: random.Random) -> str:
        """A character name: given name and family name."""
        return self.claim(f"{pick(rng, self._given)} {pick(rng, self._family)}")

    def corporation(self, rng: random.Random) -> str:
        """A corporation name."""
        return self.claim(f"{word(rng, rng.randint(2, 3))} {rng.choice(_CORP_WORDS)}")

    def alliance(self, rng: random.Random) -> str:
        """An alliance name."""
        return self.claim(f"{word(rng, rng.randint(2, 3))} {rng.choice(_ALLIANCE_WORDS)}")


def ticker(rng: random.Random, name: str) -> str:
    """A 3-5 character upper-case ticker derived from a name."""
    letters = "".join(ch for ch in name.upper() if ch.isalpha())
    extra = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(2))
    return (letters[:3] + extra)[: rng.randint(3, 5)]
