"""Stripe webhook handlers."""
