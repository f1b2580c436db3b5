"""``mlyard server``: one workspace, served over HTTP to a team's SDKs, CLIs and browsers.

Example:
    >>> from mlyard.server import create_app
    >>> app = create_app(Workspace.open("./yard"))  # doctest: +SKIP
"""

from mlyard.server.app import create_app
from mlyard.server.serve import serve

__all__ = ["create_app", "serve"]
