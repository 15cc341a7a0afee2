"""Admin pages for this area."""
