"""`python -m desktop [PATH] [--model DIR]`."""

import sys

from desktop.app import main

sys.exit(main())
