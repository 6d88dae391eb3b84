"""``python -m app`` runs the same entry point as the ``aspire`` command."""

import sys

from app.main import main

if __name__ == "__main__":  # not when a worker process imports it
    sys.exit(main())
