"""The pure core: policy model, rule language, evaluator, explanations.

Nothing under this package imports a web, database or dataframe library;
``tests/test_architecture.py`` keeps that border honest.
"""
