"""吴中2025 articles 1, 3, 8, 9, 10, 12 and 14 as an OpenFisca country package.

A benchmark peer for huiqi (see ``benchmarks/bench_openfisca.py`` and
``benchmarks/RESULTS-openfisca.md``), written the way OpenFisca users write
models: money as OpenFisca's default ``float`` (float32) in 元, parameters in
YAML, one variable per benefit item, aggregation through group entities.
"""

from .system import WuzhongSubset, tax_benefit_system

__all__ = ["WuzhongSubset", "tax_benefit_system"]
