from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from courseops.core.logging import get_logger
from courseops.webhooks import registry, services
from courseops.webhooks.errors import PayloadTooLarge, WebhookRequestError

logger = get_logger(__name__)

MAX_BODY_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


def read_body(request, limit=MAX_BODY_BYTES) -> bytes:
    """The raw body, refused past `limit` from the declared length or while streaming.

    Read by hand rather than through `request.body`: signatures cover the exact bytes,
    and a lying or missing Content-Length must not let a larger body into memory.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(f"The body exceeds {limit} bytes.")
    chunks, size = [], 0
    while chunk := request.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body exceeds {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


@csrf_exempt
@require_POST
def receive(request, provider):
    """Verify, store once, answer at once; the handler runs later in a task.

    Error details are for the integrator reading the vendor's delivery log, in English
    like the API's; what staff read (the admin, `last_error`) is translated.
    """
    source = registry.get_provider(provider)
    if source is None:
        return JsonResponse({"detail": "Unknown webhook provider."}, status=404)
    try:
        secret = source.secret()
        body = read_body(request)
        source.verify(request, body, secret)
        inbound = source.parse(request, body)
    except WebhookRequestError as exc:
        logger.warning(
            "webhook.rejected",
            provider=provider,
            status=exc.status,
            reason=exc.detail,
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
        return JsonResponse({"detail": exc.detail}, status=exc.status)
    event, created = services.event_receive(
        provider=source.name, inbound=inbound, headers=source.headers_to_keep(request)
    )
    return source.acknowledge(event, created=created)
