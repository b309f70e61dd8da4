"""Batch matching over whole registers (免申即享): the canonical register
layout (:mod:`.layout`), the Library compiled once into SQL steps
(:mod:`.compiler`, :mod:`.plan`) and the runners (:mod:`.duck`, :mod:`.spark`).

Importing this package loads neither DuckDB nor PySpark.
"""
