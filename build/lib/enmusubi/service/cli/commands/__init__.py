"""One module per CLI command; service.cli registers them."""
