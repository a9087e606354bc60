"""``python -m kaizen_eval`` runs the ``kaizen-eval`` command."""

import sys

from kaizen_eval.cli import main

sys.exit(main())
