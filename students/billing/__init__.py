"""Stripe: checkout, customer portal and subscription webhooks."""
