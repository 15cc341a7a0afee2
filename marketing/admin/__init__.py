"""Marketing's staff pages: contacts, consents, forms, tags, segments; campaigns; sequences."""

from marketing.admin import (  # noqa: F401  (each module registers its pages)
    analytics,
    audiences,
    blog,
    campaigns,
    crm,
    funnel,
    landing,
    leads,
    offers,
    sequences,
    social,
)
