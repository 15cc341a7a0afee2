"""Marketing's staff pages: contacts, consents, forms, tags and segments; campaigns."""

from marketing.admin import campaigns, leads  # noqa: F401  (each module registers its pages)
