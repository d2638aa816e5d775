"""``python -m openai_conformance``."""

import sys

from openai_conformance.cli import main

sys.exit(main())
