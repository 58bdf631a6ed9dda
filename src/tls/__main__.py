"""``python -m tls``: see ``tls._cli`` (``python -m tls --help``)."""
import sys

from ._faces.cli import main

if __name__ == "__main__":
    sys.exit(main())
