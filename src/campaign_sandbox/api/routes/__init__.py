"""One router per platform router, plus the sandbox's fault control."""
