"""Front-end assets shipped in the package, installed from the npm registry.

``package.json`` and ``package-lock.json`` at the repository root pin them; ``make``
runs ``npm ci`` and copies each package's distributable files into ``vendor/`` here,
so a built wheel carries them and no page loads anything from a CDN.
"""

from __future__ import annotations

from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"


def vendor(package: str) -> Path:
    """The folder holding npm package ``package``'s files."""
    return VENDOR / package
