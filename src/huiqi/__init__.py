"""huiqi (惠企): Chinese manufacturing-support policies as executable rules.

The pure core (:mod:`huiqi.core`) holds the policy model, the rule language,
the evaluator and its explanations; adapters around it read policy files
(:mod:`huiqi.policyfile`), drive the command line (:mod:`huiqi.cli`) and, later,
batch engines and the web application.
"""

__version__ = "0.1.0"

from .native import install as _install_native

_install_native()  # the compiled core, when built and up to date (huiqi.native)
