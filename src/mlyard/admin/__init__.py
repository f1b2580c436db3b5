"""Looking after whole workspaces: schema upgrades, and copies from one backend to another.

Example:
    >>> upgrade_workspace("./yard").after  # doctest: +SKIP
    '0003'
    >>> copy_workspace("./yard", "postgresql://db/y", artifact_root="s3://b/y")  # doctest: +SKIP
"""

from mlyard.admin.copy import CopyReport, copy_workspace
from mlyard.admin.upgrade import SchemaUpgrade, upgrade_workspace

__all__ = ["CopyReport", "SchemaUpgrade", "copy_workspace", "upgrade_workspace"]
