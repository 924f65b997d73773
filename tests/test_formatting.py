import pandas as pd

from bosetting_lib.formatting import NBSP, format_change, format_decimal, format_int, format_percent


def test_thousands_use_non_breaking_space():
    assert format_int(1234) == f"1{NBSP}234"
    assert format_int(1234567) == f"1{NBSP}234{NBSP}567"
    assert format_int(12) == "12"


def test_decimal_comma_and_percent():
    assert format_decimal(12.5) == "12,5"
    assert format_decimal(1234.56, 2) == f"1{NBSP}234,56"
    assert format_percent(0.125) == f"12,5{NBSP}%"
    assert format_percent(0.5, 0) == f"50{NBSP}%"


def test_missing_values_and_signs():
    assert format_int(pd.NA) == "–"
    assert format_int(float("nan")) == "–"
    assert format_int(-1500) == f"\u22121{NBSP}500"
    assert format_change(5) == "+5"
    assert format_change(0) == "0"
    assert format_change(-3) == "\u22123"
