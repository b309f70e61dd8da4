"""Helpers shared by the policy tests."""

from __future__ import annotations

from huiqi.core.results import Award


def only_award(awards: list[Award], benefit: str, event: str) -> Award:
    """The one award of ``benefit`` for ``event``; fails showing what there is otherwise."""
    found = [a for a in awards if a.benefit.id == benefit and a.event is not None and a.event.id == event]
    assert len(found) == 1, [(a.benefit.id, a.event.id if a.event else None) for a in awards]
    return found[0]
