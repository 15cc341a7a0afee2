"""`Idempotency-Key` on every POST of the API, as Stripe defines it.

- A key belongs to the caller: its token (scoped or DRF's), else its user. Two callers
  may use the same key without seeing each other's answers.
- A key is bound to a fingerprint of the request (method, path, body): reusing it for
  another request is a 422 that says so, never the first request's answer.
- The first request runs once; while it runs, the same key gets 409 ("en curso"); once it
  has answered, the same request gets the same answer again (status and body, with
  `Idempotent-Replayed: true`). Answers of 500 and above are not kept: a retry runs again.
- Keys are kept `API_IDEMPOTENCY_TTL_HOURS` (24): the hourly `core.purge_idempotency_keys`
  deletes older ones, and an older one is taken as new meanwhile.

The claim is a row inserted (committed) before the view runs; the unique index on
(scope, key) decides between two concurrent requests. A claim whose request died
(process killed) is taken over after `API_IDEMPOTENCY_LOCK_SECONDS`.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

from courseops.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "Esta Idempotency-Key ya se usó con otra petición (otro cuerpo, método o ruta). "
        "Usa una clave nueva para cada petición distinta."
    )
    default_code = "idempotency_key_reused"


class KeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "Hay una petición con esta Idempotency-Key en curso; reinténtalo en unos segundos."
    )
    default_code = "idempotency_key_in_progress"


class Replayed(Exception):
    """Raised before the view runs: the stored answer is the answer."""

    def __init__(self, response):
        super().__init__("replayed")
        self.response = response


@dataclass
class Claim:
    pk: int


def ttl():
    return timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)


def caller_scope(request) -> str:
    """The token the request came with (by id, hashed: a DRF token's id is its secret),
    else its user; empty for an anonymous caller (no idempotency then)."""
    auth = request.auth
    if auth is not None and hasattr(auth, "_meta") and auth.pk is not None:
        digest = hashlib.sha256(str(auth.pk).encode()).hexdigest()[:40]
        return f"{auth._meta.label_lower}:{digest}"
    user = request.user
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return ""


def fingerprint(request) -> str:
    """Method, path with query and the parsed body (key order and spacing do not matter).
    A body that does not parse raises here (400/415) before any key is claimed."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str).encode()
    digest = hashlib.sha256(f"{request.method}\n{request.get_full_path()}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def request_key(request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [_("Como máximo %(max)d caracteres imprimibles.") % {"max": MAX_KEY_LENGTH}]}
        )
    return key


def replay(row) -> HttpResponse:
    response = HttpResponse(
        bytes(row.body), status=row.status_code, content_type=row.content_type or None
    )
    response[REPLAYED_HEADER] = "true"
    return response


def begin(request) -> Claim | None:
    """Claim the request's key; None when the request carries none (or has no caller).

    Raises `Replayed` with the stored answer, `KeyReused` (422) or `KeyInProgress` (409).
    """
    key = request_key(request)
    scope = caller_scope(request) if key else ""
    if not scope:
        return None
    print_ = fingerprint(request)
    now = timezone.now()
    fields = {
        "fingerprint": print_,
        "method": request.method,
        "path": request.get_full_path()[:500],
        "created_at": now,
        "locked_at": now,
        "status_code": None,
        "content_type": "",
        "body": b"",
    }
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(scope=scope, key=key, **fields)
        return Claim(row.pk)
    except IntegrityError:
        pass
    row = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if row is None:  # purged in between: try once more
        return begin(request)
    if row.created_at <= now - ttl():
        # Expired (not purged yet): a new request. The condition makes one taker win.
        if IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).update(**fields):
            return Claim(row.pk)
        raise KeyInProgress()
    if row.fingerprint != print_:
        raise KeyReused()
    if row.status_code is not None:
        raise Replayed(replay(row))
    stale = now - timedelta(seconds=settings.API_IDEMPOTENCY_LOCK_SECONDS)
    # The first request's process died before answering: this one runs it (one taker).
    if (
        row.locked_at
        and row.locked_at <= stale
        and IdempotencyKey.objects.filter(pk=row.pk, locked_at=row.locked_at).update(locked_at=now)
    ):
        return Claim(row.pk)
    raise KeyInProgress()


def finish(claim: Claim, response) -> None:
    """Keep the answer for replays (below 500), or free the key for a retry."""
    if response.status_code >= 500 or getattr(response, "streaming", False):
        release(claim)
        return
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        status_code=response.status_code,
        content_type=response.get("Content-Type", "")[:100],
        body=response.content,
        locked_at=None,
    )


def release(claim: Claim) -> None:
    IdempotencyKey.objects.filter(pk=claim.pk, status_code__isnull=True).delete()


def purge_expired(*, now=None) -> int:
    cutoff = (now or timezone.now()) - ttl()
    deleted, _detail = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted


class IdempotentPost:
    """Mix into every API view with a POST (before DRF's class): the module's rules.

    Runs after authentication, permissions and throttling (their 401/403/429 are not
    kept) and before the handler."""

    idempotent_methods = ("POST",)
    _idempotency_claim = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in self.idempotent_methods:
            self._idempotency_claim = begin(request)

    def handle_exception(self, exc):
        if isinstance(exc, Replayed):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, self._idempotency_claim = self._idempotency_claim, None
        if claim is not None:
            finish(claim, response)
        return response

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # An exception that escaped the view (a 500): the key is free for a retry.
            claim, self._idempotency_claim = self._idempotency_claim, None
            if claim is not None:
                release(claim)
