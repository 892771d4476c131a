from __future__ import annotations

from hypothesis import given, strategies as st

from loopml._utils.digits import is_digits


@given(st.text(max_size=8))
def test_text_is_digits_exactly_when_int_reads_it_as_ascii_decimal(text: str) -> None:
    ascii_decimal = bool(text) and all("0" <= c <= "9" for c in text)
    assert is_digits(text) is ascii_decimal
    if is_digits(text):
        assert int(text) >= 0


def test_other_digits_are_not_numbers() -> None:
    assert not is_digits("\u00b2")  # isdigit() is true, int() refuses it
    assert not is_digits("\u0663")  # Arabic-Indic three: int() would read 3
    assert is_digits("0042")
