"""Registration intake: three doors (Typeform, API, CSV), one service."""
