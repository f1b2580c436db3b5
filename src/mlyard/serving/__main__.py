"""``python -m mlyard.serving FOLDER``: run the scoring process of one deployment."""

import sys

from mlyard.serving.server import main

if __name__ == "__main__":
    sys.exit(main())
