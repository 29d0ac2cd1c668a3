"""Allow ``python -m mlp_lib ...``."""

import sys

from .cli import main

sys.exit(main())
