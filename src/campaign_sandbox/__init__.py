"""Stand-in of the campaign platform."""
