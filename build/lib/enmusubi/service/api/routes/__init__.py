"""One module per resource, each with a module-level router."""
