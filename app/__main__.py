"""``python -m app`` runs the same entry point as the ``aspire`` command."""

import sys

from app.main import main

sys.exit(main())
