"""A landing page's A/B results: human views and sign-ups per headline variant."""

from django.db.models import Count

from marketing.landing.models import LandingSignup, LandingView


def variant_results(page):
    """[{variant, headline, views, signups, rate}] in two aggregate queries."""
    views = dict(
        LandingView.objects.filter(page=page)
        .values_list("variant")
        .annotate(n=Count("id"))
        .values_list("variant", "n")
    )
    signups = dict(
        LandingSignup.objects.filter(page=page)
        .values_list("variant")
        .annotate(n=Count("id"))
        .values_list("variant", "n")
    )
    rows = []
    for number, headline in enumerate(page.headlines()):
        seen, joined = views.get(number, 0), signups.get(number, 0)
        rate = round(100 * joined / seen, 1) if seen else None
        rows.append(
            {
                "variant": number,
                "headline": headline,
                "views": seen,
                "signups": joined,
                "rate": rate,
            }
        )
    return rows
