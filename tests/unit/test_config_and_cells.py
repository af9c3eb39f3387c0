"""Settings refuse unsafe secrets; exported cells never run as formulas."""

from __future__ import annotations

import pytest

from safeguard.config import Settings
from safeguard.domain.spreadsheet import safe_cell
from safeguard.errors import ConfigError


def test_the_default_secret_is_refused_in_production() -> None:
    with pytest.raises(ConfigError, match="SAFEGUARD_SECRET_KEY"):
        Settings(environment="production")


def test_a_long_random_secret_is_accepted_in_production() -> None:
    assert Settings(environment="production", secret_key="k" * 40).environment == "production"


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "|calc"])
def test_formula_text_is_neutralised_in_exported_cells(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_ordinary_values_pass_through() -> None:
    assert (safe_cell("Smith"), safe_cell(3), safe_cell(None)) == ("Smith", 3, None)
