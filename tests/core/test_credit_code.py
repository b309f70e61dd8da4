from huiqi.core.credit_code import make_credit_code, validate_credit_code


def test_a_published_code_is_valid() -> None:
    # An example code from GB 32100-2015 material.
    assert validate_credit_code("91350100M000100Y43") is None


def test_a_wrong_check_character_is_named() -> None:
    message = validate_credit_code("91350100M000100Y44")
    assert message is not None and "第18位应为“3”" in message


def test_length_and_alphabet() -> None:
    assert "应为18位" in (validate_credit_code("9135") or "")
    assert "不允许的字符“I”" in (validate_credit_code("91350100M000100I43") or "")


def test_made_codes_validate() -> None:
    assert validate_credit_code(make_credit_code("91320506MA1XXXXX0")) is None
