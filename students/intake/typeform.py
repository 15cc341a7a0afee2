"""Typeform form_response handler."""
