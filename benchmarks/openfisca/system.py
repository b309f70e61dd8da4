"""The TaxBenefitSystem of the 吴中2025 subset."""

from __future__ import annotations

from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from .entities import entities
from .variables import all_variables

PARAMETERS = Path(__file__).parent / "parameters"


class WuzhongSubset(TaxBenefitSystem):
    """吴中2025 articles 1, 3, 8, 9, 10, 12, 14 (the items huiqi encodes with money amounts)."""

    def __init__(self) -> None:
        super().__init__(entities)
        self.load_parameters(str(PARAMETERS))
        for variable in all_variables():
            self.add_variable(variable)


def tax_benefit_system() -> WuzhongSubset:
    return WuzhongSubset()
