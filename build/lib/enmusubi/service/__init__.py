"""enmusubi's front doors: the CLI, the HTTP API and storage."""
