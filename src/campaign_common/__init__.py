"""Small, dependency-free helpers shared by the suite and the sandbox: hiding secrets, waiting on a
condition against a deadline, and the platform's API path prefix. Neither side's layers live here."""
