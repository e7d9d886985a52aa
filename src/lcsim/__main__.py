"""``python -m lcsim`` runs the command line."""

import sys

from lcsim.cli import console_main

if __name__ == "__main__":
    sys.exit(console_main())
