"""Scoped API tokens: issue, authenticate, and check a request against the scopes."""

import hashlib
import secrets
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from courseops.audit.services import log_action
from courseops.operations.models import ApiToken

KEY_PREFIX = "co_"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# last_used_at is a hint for staff, not a log: write it at most this often per token.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def scope_choices():
    """Every scope a token may hold: `*`, and read or write per installed app."""
    choices = [("*", _("Todo (lectura y escritura en todas las apps)"))]
    project = str(settings.BASE_DIR)
    for config in apps.get_app_configs():
        # The project's own apps (installed libraries live in the virtualenv).
        if config.path.startswith(project) and ".venv" not in config.path:
            choices += [
                (f"{config.label}:read", f"{config.verbose_name}: {_('lectura')}"),
                (f"{config.label}:write", f"{config.verbose_name}: {_('escritura')}"),
            ]
    return choices


def token_holder_problem(user):
    """Why `user` cannot hold a token, or "": the API answers only staff, so anyone
    else's token could only ever get 403. (A deactivated user's token is refused when
    used, and works again if the account is reactivated.)"""
    if not user.is_staff:
        return _(
            "El usuario %(user)s no es del equipo (is_staff): la API solo responde al equipo."
        ) % {"user": user}
    return ""


def save_new_token(token, *, issued_by=None):
    """Give an unsaved token its key, save it and return the key (shown once, not stored).
    Raises ValidationError for a user who cannot hold one."""
    if problem := token_holder_problem(token.user):
        raise ValidationError({"user": problem})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token.scopes = sorted(set(token.scopes))
    token.prefix = key[:10]
    token.key_hash = _hash(key)
    token.save()
    log_action(token, "operations.api_token.issued", user=issued_by, data={"scopes": token.scopes})
    return key


def issue_token(*, user, name, scopes, expires_at=None, issued_by=None):
    """Returns (token, key); the key is not stored and cannot be shown again."""
    token = ApiToken(user=user, name=name, scopes=list(scopes), expires_at=expires_at)
    return token, save_new_token(token, issued_by=issued_by)


def revoke_token(*, token, user=None):
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    ):
        log_action(token, "operations.api_token.revoked", user=user)
        return True
    return False


def allows(scopes, *, app_label, method):
    if "*" in scopes or f"{app_label}:write" in scopes:
        return True
    return method in READ_METHODS and f"{app_label}:read" in scopes


def _app_label(request):
    """The app that owns the view being called (its module's app)."""
    match = getattr(request._request, "resolver_match", None)
    view = getattr(match.func, "cls", None) if match else None
    config = apps.get_containing_app_config(view.__module__) if view else None
    return config.label if config else ""


class ScopedTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer co_...`; other schemes are left to the next authenticator."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).decode(errors="replace").split()
        if len(parts) != 2 or parts[0] != self.keyword or not parts[1].startswith(KEY_PREFIX):
            return None
        now = timezone.now()
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=_hash(parts[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None or (token.expires_at and token.expires_at <= now):
            raise exceptions.AuthenticationFailed(_("Token no válido, revocado o caducado."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("El usuario del token está desactivado."))
        app_label = _app_label(request)
        if not allows(token.scopes, app_label=app_label, method=request.method):
            raise exceptions.PermissionDenied(
                _("Este token no tiene acceso a «%(scope)s».")
                % {"scope": f"{app_label}:{'read' if request.method in READ_METHODS else 'write'}"}
            )
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
