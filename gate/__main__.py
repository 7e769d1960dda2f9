"""Make ``python -m gate`` the same program as the ``epm-gate`` console script."""

import sys

from gate.cli import main

sys.exit(main())
