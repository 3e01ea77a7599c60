"""`python -m bot` is the `errcode` command."""

import sys

from bot.cli import main

sys.exit(main())
