"""`python -m bench.quality`."""

from bench.quality.cli import main

raise SystemExit(main())
