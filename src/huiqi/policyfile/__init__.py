"""Policy files: YAML documents of rules, read into the core's typed model.

Rules are data, parsed — never evaluated as code.  A mistake in a rule file
is reported with the file, the line and what is wrong (:class:`PolicyFileError`).
"""

from .loader import DEFAULT_POLICY_DIR, PolicyFileError, load_catalogue, load_document, load_library
from .reader_base import PolicyFolderError

__all__ = ["DEFAULT_POLICY_DIR", "PolicyFileError", "PolicyFolderError", "load_catalogue", "load_document", "load_library"]
