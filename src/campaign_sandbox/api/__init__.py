"""HTTP layer of the sandbox."""
