from uku_xero_cli.cli.app import main

raise SystemExit(main())
