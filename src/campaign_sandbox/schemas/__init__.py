"""Request bodies (``requests``) and response helpers (``responses``)."""
