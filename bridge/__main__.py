"""Allow ``python -m bridge`` as well as the ``smsbridge`` console script."""

from bridge.cli import main

raise SystemExit(main())
