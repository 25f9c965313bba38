"""Support package of the campaign acceptance suite."""
