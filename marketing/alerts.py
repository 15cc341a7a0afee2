"""Alert checks owned by marketing, picked up by courseops.operations."""

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courseops.operations.alerts.registry import Finding, alert_check
from marketing.social.models import SocialChannel


@alert_check("marketing.social_token_expiry", gettext_lazy("Token de red social por caducar"))
def social_tokens_expiring(now):
    """A channel whose token expires within the warning days (or has expired) while it
    still publishes through a network's API: staff renew it before posts start failing."""
    soon = now + timedelta(days=settings.MARKETING_SOCIAL_TOKEN_WARN_DAYS)
    channels = SocialChannel.objects.filter(
        active=True, token_expires_at__isnull=False, token_expires_at__lte=soon
    ).exclude(provider=SocialChannel.Provider.CONSOLE)
    for channel in channels:
        if channel.token_expires_at <= now:
            title = _("El token de «%(channel)s» ha caducado") % {"channel": channel.name}
        else:
            title = _("El token de «%(channel)s» caduca en %(days)d días") % {
                "channel": channel.name,
                "days": (channel.token_expires_at - now).days,
            }
        yield Finding(
            title=title,
            detail=_("Renueva el token en Marketing › Canales sociales; caduca el %(when)s.")
            % {"when": channel.token_expires_at.date().isoformat()},
            key=str(channel.pk),
        )
