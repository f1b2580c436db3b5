"""``python -m mlyard.serving.scoring FOLDER``: run the scoring process of one deployment."""

import sys

from mlyard.serving.scoring.runner import main

if __name__ == "__main__":
    sys.exit(main())
