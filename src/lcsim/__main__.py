"""``python -m lcsim`` runs the command line."""

import sys

from lcsim.cli import main

if __name__ == "__main__":
    sys.exit(main())
