"""A small progress bar on stderr for long batch runs (no dependency).

It draws only when stderr is a terminal (or ``HUIQI_PROGRESS=1``), at most a
few times a second, so logs and tests stay clean.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

__all__ = ["Progress", "Stages"]

RATE_AFTER = 1.0  # seconds of a stage before its rate and time left are shown


class Progress:
    """``with Progress("校验", total) as bar: bar.update(n)``; ``total=None`` counts without a bar."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            forced = os.environ.get("HUIQI_PROGRESS")
            enabled = forced == "1" if forced in ("0", "1") else self.stream.isatty()
        self.enabled = enabled
        self.done = 0
        self.start = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self._last >= 0.2:
            self._last = now
            self._draw(now)

    def text(self, now: float | None = None) -> str:
        elapsed = (now if now is not None else time.monotonic()) - self.start
        # a rate over less than a second says nothing (a stage's first update of a whole chunk or of every
        # row read showed 71,000,000/秒 and 剩余约0秒): shown once a second has passed
        rate = self.done / elapsed if elapsed >= RATE_AFTER else None
        if self.total:
            frac = min(1.0, self.done / self.total)
            width = 30
            filled = int(frac * width)
            bar = "█" * filled + "░" * (width - filled)
            head = f"{self.label} {bar} {frac * 100:5.1f}% {self.done:,}/{self.total:,}"
            if rate is None or rate <= 0:
                return head
            return f"{head} {_rate(rate)}/秒 剩余约{(self.total - self.done) / rate:,.0f}秒"
        speed = "" if rate is None else f" {_rate(rate)}/秒"
        return f"{self.label} {self.done:,} 行{speed} 已用{elapsed:,.1f}秒"

    def _draw(self, now: float) -> None:
        self.stream.write("\r" + self.text(now) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _rate(rate: float) -> str:
    """Whole units a second; a slow count (chunks) with one decimal (0.5/秒, not 0/秒)."""
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:.1f}"


class Stages:
    """One bar per stage of a run, each closed when the next begins:
    ``stages("校验", rows)``, then ``stages("测算（块）", 1, total=chunks)``."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream, self.enabled = stream, enabled
        self.stage: str | None = None
        self.bar: Progress | None = None

    def __call__(self, stage: str, n: int, total: int | None = None) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.bar = stage, Progress(stage, total, self.stream, self.enabled)
        assert self.bar is not None
        self.bar.update(n)

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.stage, self.bar = None, None
