"""Money (金额) as integer fen (分), and the quantities policies write.

Amounts are never binary floats: inside they are ``int`` fen; rates and
quantities are :class:`fractions.Fraction`.  Parsing accepts what the texts and
officers write: ``50万元``, ``1000元``, ``2亿元``, ``1万`` (苏州2020 writes
"1万、5万、10万"), ``3,000,000``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .text import as_written, brief

__all__ = [
    "FEN_PER_YUAN",
    "MAX_DIGITS",
    "TWO_DIGITS",
    "MoneyError",
    "decimal_text",
    "floor_fen",
    "floor_times",
    "format_wan",
    "format_yuan",
    "grouped",
    "parse_money",
    "parse_number",
    "parse_rate",
]

FEN_PER_YUAN = 100
MAX_DIGITS = 4300  # the longest whole number int() reads from text (sys.get_int_max_str_digits)
_UNITS = {"元": 1, "万元": 10_000, "万": 10_000, "亿元": 100_000_000, "亿": 100_000_000}
# Whole numbers of ASCII digits before these units are read without ``_MONEY``
# (the answer is the same; the expression costs ≈ 2 µs an amount compiled).
_PLAIN_SUFFIXES = (("万元", 1_000_000), ("亿元", 10_000_000_000), ("元", 100))
_MONEY = re.compile(r"^\s*([+-]?[0-9][0-9,]*(?:\.[0-9]+)?)\s*(元|万元|万|亿元|亿)?\s*$")


class MoneyError(ValueError):
    """A value that is not an amount of money, a rate or a number."""


def _shown(value: object) -> str:
    """A value in a message as a person wrote or reads it: text in quotation marks (“12.345元”),
    a number as its digits (600000.305, not Decimal('600000.305')), a missing value as 空（未填写）,
    ``false``, lists and dates as YAML and JSON write them (:func:`as_written`), cut to a readable length."""
    if isinstance(value, float):
        return brief(repr(value))
    if value is None or isinstance(value, (str, bool, list, tuple, dict, date)):
        return as_written(value)
    return brief(str(value))


def parse_number(value: object) -> Fraction:
    """A plain number (int, Decimal or decimal string) as an exact fraction.

    Floats are refused: they cannot carry an exact decimal.
    """
    if isinstance(value, bool):
        raise MoneyError(f"不是数值：{_shown(value)}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():  # NaN, Infinity: no number of fen
            raise MoneyError(f"不是数值：{_shown(value)}")
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MoneyError(f"不是数值：{_shown(value)}")
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        text = value.translate(_FULL_WIDTH).strip().replace(",", "")
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise MoneyError(f"不是数值：{_shown(value)}") from None
        if not number.is_finite():  # "NaN", "inf", "Infinity" are Decimals but no numbers of fen
            raise MoneyError(f"不是数值：{_shown(value)}")
        return Fraction(number)
    raise MoneyError(f"不是数值：{_shown(value)}")


# Digits and signs typed in full width (an input method's ３００万元) read as the ASCII ones.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋％\u3000", "0123456789.,-+% ")


def parse_money(value: object, default_unit: str = "元") -> int:
    """An amount of money in fen.

    A bare number is read in ``default_unit``; a string may carry its own unit.

    >>> parse_money("50万元")
    50000000
    >>> parse_money("1000元")
    100000
    >>> parse_money(300, default_unit="万元")
    300000000
    >>> parse_money("３００万元")
    300000000
    >>> parse_money("12.345元")
    Traceback (most recent call last):
    ...
    huiqi.core.money.MoneyError: 金额精确到分：“12.345元”
    """
    if isinstance(value, bool):
        raise MoneyError(f"不是金额：{_shown(value)}")
    if isinstance(value, str) and not value.isascii():
        value = value.translate(_FULL_WIDTH)
    if isinstance(value, int) and default_unit in _UNITS:  # the common cases, in whole numbers
        return value * _UNITS[default_unit] * FEN_PER_YUAN
    if isinstance(value, str):
        for suffix, fen_per_unit in _PLAIN_SUFFIXES:  # "1200万元": no regular expression needed
            if value.endswith(suffix):
                digits = value[: len(value) - len(suffix)]
                if digits.isascii() and digits.isdigit() and len(digits) <= MAX_DIGITS:
                    return int(digits) * fen_per_unit
                break
        match = _MONEY.match(value)
        if match:
            unit = match.group(2) or default_unit
            if unit in _UNITS:
                sign, digits = match.group(1)[:1], match.group(1).lstrip("+-").replace(",", "")
                whole, _, decimals = digits.partition(".")
                if len(whole) + len(decimals) > MAX_DIGITS:
                    raise MoneyError(f"数字过长（{len(whole) + len(decimals)}位，最多{MAX_DIGITS}位）：{_shown(value)}")
                scaled = int(whole + decimals) * _UNITS[unit] * FEN_PER_YUAN
                places: int = 10 ** len(decimals)
                if scaled % places:
                    raise MoneyError(f"金额精确到分：{_shown(value)}")
                return -(scaled // places) if sign == "-" else scaled // places
    if isinstance(value, (int, float, Decimal, Fraction)):
        number = parse_number(value)
        unit = default_unit
    elif isinstance(value, str):
        match = _MONEY.match(value)
        if not match:
            raise MoneyError(f"不是金额（应为数字加单位，如“50万元”“1000元”）：{_shown(value)}")
        number = parse_number(match.group(1))
        unit = match.group(2) or default_unit
    else:
        raise MoneyError(f"不是金额：{_shown(value)}")
    if unit not in _UNITS:
        raise MoneyError(f"未知的金额单位：{unit}")
    fen = number * _UNITS[unit] * FEN_PER_YUAN
    if fen.denominator != 1:
        raise MoneyError(f"金额精确到分：{_shown(value)}")
    return int(fen)


def parse_rate(value: object) -> Fraction:
    """A rate such as ``5%`` (or ``0.05``) as an exact fraction.

    >>> parse_rate("5%")
    Fraction(1, 20)
    >>> parse_rate("0.3")
    Fraction(3, 10)
    """
    if isinstance(value, str) and value.strip().endswith(("%", "％")):
        return parse_number(value.strip()[:-1]) / 100
    return parse_number(value)


def floor_fen(value: Fraction | int) -> int:
    """Round an exact amount in fen down to a whole fen.

    huiqi rounds every computed amount *down* to the fen, so that no computed
    award exceeds what the text allows (interpretation: the texts do not say
    how to round).
    """
    return value.numerator // value.denominator


def floor_times(value: Fraction | int, factor: Fraction | int) -> int:
    """``floor_fen(value * factor)`` in integer arithmetic (no Fraction is built).

    >>> floor_times(8_000_000, Fraction(1, 20))
    400000
    >>> floor_times(Fraction(7, 3), Fraction(3, 2))
    3
    """
    return (value.numerator * factor.numerator) // (value.denominator * factor.denominator)


def ceil_times(value: Fraction | int, factor: Fraction | int) -> int:
    """The least whole fen not below ``value * factor``: a floor the text sets (不低于1%) is met only
    from there, so it is rounded up where every other amount is rounded down.

    >>> ceil_times(100_000_000_99, Fraction(1, 100))
    100000001
    >>> ceil_times(8_000_000, Fraction(1, 20))
    400000
    """
    return -((-value.numerator * factor.numerator) // (value.denominator * factor.denominator))


# Money is formatted by concatenating plain ``str()`` pieces: an f-string with a
# format spec (``{cents:02d}``, ``{whole:,}``) costs ≈ 1 µs more per call once
# compiled with mypyc, and an answer formats dozens of amounts.
TWO_DIGITS: tuple[str, ...] = tuple(str(n + 100)[1:] for n in range(100))  # "00" … "99"


def format_yuan(fen: int) -> str:
    """``12345678`` → ``'123,456.78元'``.

    >>> format_yuan(-100_000_005)
    '-1,000,000.05元'
    >>> format_yuan(99)
    '0.99元'
    """
    if fen < 0:
        return "-" + format_yuan(-fen)
    return grouped(fen // 100) + "." + TWO_DIGITS[fen % 100] + "元"


def grouped(n: int) -> str:
    """A whole number ≥ 0 with thousands separators, as ``f"{n:,}"`` writes it.

    >>> grouped(1234567), grouped(999), grouped(1000)
    ('1,234,567', '999', '1,000')
    """
    digits = str(n)
    head = len(digits) % 3 or 3
    if head == len(digits):
        return digits
    return ",".join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])


def format_wan(fen: int) -> str:
    """An amount in 万元 when it is a round number of 元, else in 元.

    >>> format_wan(100_000_000)
    '100万元'
    >>> format_wan(6_172)
    '61.72元'
    >>> format_wan(500_000_000_000)
    '50亿元'
    """
    if fen == 0:
        return "0元"
    if fen >= 10_000_000_000 and fen % 1_000_000 == 0:
        return f"{decimal_text(fen, 10_000_000_000)}亿元"
    if fen % 100 == 0 and fen >= 1_000_000:
        return f"{decimal_text(fen, 1_000_000)}万元"
    return format_yuan(fen)


def decimal_text(value: int, unit: int) -> str:
    """``value / unit`` as a short exact decimal (``value`` ≥ 0, ``unit`` a power of ten).

    >>> decimal_text(12_500_000, 1_000_000)
    '12.5'
    """
    whole = value // unit
    rest = value - whole * unit
    if rest == 0:
        return str(whole)
    return str(whole) + "." + str(unit + rest)[1:].rstrip("0")  # unit + rest: "1" then rest zero-padded
