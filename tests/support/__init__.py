"""The tests' one support package: one API client (api.Api), one way to start sandboxes (sandboxes.Sandboxes,
behind the ``sandboxes`` fixture of tests/conftest.py). The one bounded poll is tests/polling.py."""
