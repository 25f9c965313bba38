"""The tests' one support package: one API client (``api.Api``), one way to start sandboxes
(``sandboxes.Sandboxes`` behind the ``sandboxes`` fixture of tests/conftest.py; ``sandboxes.serving_cli`` for
the command line), one way to start behave (``behave_child``), one bounded poll (``polling.wait_until``), one
fake clock (``clocks.FakeClock``), the throwaway PostgreSQL server (``pgserver``) and the real Prometheus
parts (``prometheus``: a throwaway Pushgateway and promtool)."""
