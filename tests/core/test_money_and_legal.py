"""Money parsing, rounding, display and the legal comparison words."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.core.legal import COMPARISONS
from huiqi.core.money import MoneyError, floor_fen, format_wan, format_yuan, parse_money, parse_number, parse_rate


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("50万元", 50_000_000),
        ("1000元", 100_000),
        ("2亿元", 20_000_000_000),
        ("1万", 1_000_000),
        ("3,000,000", 300_000_000),
        ("0.01元", 1),
    ],
)
def test_amounts_are_read_as_integer_fen(text: str, fen: int) -> None:
    assert parse_money(text) == fen


def test_a_bare_number_is_read_in_the_given_unit() -> None:
    assert parse_money(300, default_unit="万元") == 300_000_000
    assert parse_money("12.5", default_unit="万元") == 12_500_000


@pytest.mark.parametrize("bad", ["12.345元", "五十万元", "50吨", True, None, "50万美元"])
def test_what_is_not_an_amount_is_refused(bad: object) -> None:
    with pytest.raises(MoneyError):
        parse_money(bad)


@pytest.mark.parametrize("bad", ["inf", "NaN", "-Infinity", "snan", float("inf"), float("-inf"), float("nan"), Decimal("NaN")])
def test_what_is_no_finite_number_is_refused_in_words(bad: object) -> None:
    """Decimal reads "inf" and "NaN", and Fraction of them raised OverflowError or an English
    ValueError; a register cell of them is a bad cell with a Chinese reason."""
    with pytest.raises(MoneyError, match="不是数值"):
        parse_number(bad)
    with pytest.raises(MoneyError, match="不是数值"):
        parse_rate(bad)


def test_floats_become_exact_decimals_not_binary_approximations() -> None:
    # 0.1 + 0.2 in binary is 0.30000000000000004; as money it must be 30 fen exactly.
    assert parse_money(0.1 + 0.2 - 0.00000000000000004) == 30


def test_rates() -> None:
    assert parse_rate("5%") == Fraction(1, 20)
    assert parse_rate("0.3") == Fraction(3, 10)


def test_computed_amounts_round_down_to_the_fen() -> None:
    # 5% of 123.45元 is 6.1725元: paid as 6.17元, never more than the text allows.
    assert floor_fen(Fraction(12345) * Fraction(5, 100)) == 617


def test_display() -> None:
    assert format_wan(100_000_000) == "100万元"
    assert format_wan(12_500_000) == "12.5万元"
    assert format_yuan(123_456_78) == "123,456.78元"


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f")


@settings(deadline=None)  # a paused runner is no failure
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_amounts_display_as_decimal_arithmetic_writes_them(fen: int) -> None:
    """The string-building display of amounts (no format specs: they are slow compiled) says what Decimal says."""
    assert format_yuan(fen) == f"{Decimal(fen) / 100:,.2f}元"
    if fen == 0:
        expected = "0元"
    elif fen >= 10**10 and fen % 10**6 == 0:
        expected = _plain(Decimal(fen) / 10**10) + "亿元"
    elif fen >= 10**6 and fen % 100 == 0:
        expected = _plain(Decimal(fen) / 10**6) + "万元"
    else:
        expected = format_yuan(fen)
    assert format_wan(fen) == expected


@pytest.mark.parametrize(
    ("word", "value", "threshold", "passes"),
    [
        ("以上", 300, 300, True),
        ("不低于", 200, 200, True),
        ("超过", 50, 50, False),
        ("超过", 51, 50, True),
        ("超", 500, 500, False),
        ("以下", 3, 3, True),
        ("不满", 3, 3, False),
        ("不超过", 100, 100, True),
        ("低于", 100, 100, False),
    ],
)
def test_chinese_legal_words_include_or_exclude_the_number(word: str, value: int, threshold: int, passes: bool) -> None:
    # 民法典 第1259条: 以上、以下 include the number; 超过、不满 exclude it.
    assert COMPARISONS[word].test(Fraction(value), Fraction(threshold)) is passes


@settings(deadline=None)  # a paused runner is no failure
@given(
    whole=st.integers(min_value=0, max_value=10**12),
    decimals=st.text(alphabet="0123456789", max_size=4),
    unit=st.sampled_from(["", "元", "万元", "万", "亿元", "亿"]),
    sign=st.sampled_from(["", "+", "-"]),
    default_unit=st.sampled_from(["元", "万元"]),
)
def test_integer_reading_of_amounts_agrees_with_exact_decimal_arithmetic(
    whole: int, decimals: str, unit: str, sign: str, default_unit: str
) -> None:
    """The fast integer path of parse_money reads every amount exactly as Decimal arithmetic does."""
    text = f"{sign}{whole:,}" + (f".{decimals}" if decimals else "") + unit
    per_yuan = {"元": 1, "万元": 10_000, "万": 10_000, "亿元": 100_000_000, "亿": 100_000_000}[unit or default_unit]
    exact = Decimal(f"{sign}{whole}" + (f".{decimals}" if decimals else "")) * per_yuan * 100
    if exact != exact.to_integral_value():
        with pytest.raises(MoneyError, match="精确到分"):
            parse_money(text, default_unit)
    else:
        assert parse_money(text, default_unit) == int(exact)


def test_a_bad_amount_is_shown_as_written_not_as_python_writes_it() -> None:
    """An officer reads 600000.305 and “abc”, not Decimal('600000.305') and 'abc'."""
    with pytest.raises(MoneyError) as exc:
        parse_money(Decimal("600000.305"))
    assert str(exc.value) == "金额精确到分：600000.305"
    with pytest.raises(MoneyError) as exc:
        parse_money("abc")
    assert str(exc.value) == "不是金额（应为数字加单位，如“50万元”“1000元”）：“abc”"
    with pytest.raises(MoneyError) as exc:
        parse_money(True)
    assert str(exc.value) == "不是金额：true"  # as YAML, JSON and a policy file's author write it
    with pytest.raises(MoneyError) as exc:
        parse_money(None)
    assert str(exc.value) == "不是金额：空（未填写）"
