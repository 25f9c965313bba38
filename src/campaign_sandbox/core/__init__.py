"""Configuration of the sandbox."""
