"""Chinese legal comparison words (法定用语) and what they mean.

民法典 第1259条: "民法所称的'以上'、'以下'、'以内'、'届满'，包括本数；所称的
'不满'、'超过'、'以外'，不包括本数。"  The texts also write 不低于/不少于/不高于/
不超过 (which include the number) and 超/高于/低于 (which exclude it).

A condition in a policy file is written with the word the text uses, so that
the rule reads like the law and its meaning follows legal usage.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["COMPARISONS", "Comparison", "comparison"]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison word: its symbol, whether it includes the number, and
    how a failure reads in Chinese ("未超过", "低于")."""

    word: str
    symbol: str
    inclusive: bool
    negated: str
    test: Callable[[Fraction | int, Fraction | int], bool]


def _c(word: str, symbol: str, negated: str) -> Comparison:
    tests: dict[str, Callable[[Fraction | int, Fraction | int], bool]] = {
        ">": operator.gt,
        ">=": operator.ge,
        "<": operator.lt,
        "<=": operator.le,
    }
    return Comparison(word, symbol, symbol in (">=", "<="), negated, tests[symbol])


COMPARISONS: dict[str, Comparison] = {
    c.word: c
    for c in (
        _c("以上", ">=", "未达到"),
        _c("不低于", ">=", "低于"),
        _c("不少于", ">=", "少于"),
        _c("达到", ">=", "未达到"),
        _c("超过", ">", "未超过"),
        _c("超", ">", "未超过"),
        _c("高于", ">", "不高于"),
        _c("以下", "<=", "高于"),
        _c("以内", "<=", "超出"),
        _c("不超过", "<=", "超过"),
        _c("不高于", "<=", "高于"),
        _c("不满", "<", "已达到"),
        _c("低于", "<", "不低于"),
    )
}


def comparison(word: str) -> Comparison:
    """The comparison a legal word names; ``KeyError`` for an unknown word."""
    return COMPARISONS[word]
