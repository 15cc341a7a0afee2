"""Engagement services, one module per sub-domain."""
