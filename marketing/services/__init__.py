"""The marketing API other code calls (keyword arguments only)."""
