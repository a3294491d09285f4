"""``python -m elecbay_app``: the ``elecbay`` command."""

import sys

from elecbay_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
