"""Deterministic randomness: one `random.Random` per concern, derived from the seed by name.

A stable string seed (not `hash()`) keeps streams identical across processes and machines, and a
stream per concern keeps one parameter change from reshuffling every other draw.
"""

from __future__ import annotations

import bisect
import itertools
import random
import uuid


class Streams:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def __call__(self, concern: str) -> random.Random:
        rng = self._streams.get(concern)
        if rng is None:
            rng = self._streams[concern] = random.Random(f"{self.seed}:{concern}")
        return rng


_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_V4_SET = (0x8000 << 48) | (0x4000 << 64)


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from the stream, so ids repeat with the seed.

    Same string as `str(uuid.UUID(int=rng.getrandbits(128), version=4))`, built without the
    UUID object because ids are drawn for every participation and document.
    """
    h = "%032x" % ((rng.getrandbits(128) & _V4_CLEAR) | _V4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def reference_uuid(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


def randint(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi]; `random()` based, several times cheaper than `Random.randint`."""
    return lo + int(rng.random() * (hi - lo + 1))


def pick_weighted(rng: random.Random, distribution: dict[str, float]) -> str:
    """Draw a key of a {value: probability} mapping (keys in file order)."""
    x = rng.random()
    acc = 0.0
    last = ""
    for key, p in distribution.items():
        acc += p
        last = key
        if x < acc:
            return key
    return last


class Weighted:
    """A discrete distribution prepared once, drawn many times (attendance, delays)."""

    def __init__(self, distribution: dict[str, float]) -> None:
        self.keys = list(distribution)
        self.cumulative = list(itertools.accumulate(distribution.values()))
        self.cumulative[-1] = max(self.cumulative[-1], 1.0)

    def draw(self, rng: random.Random) -> str:
        return self.keys[bisect.bisect_right(self.cumulative, rng.random())]
