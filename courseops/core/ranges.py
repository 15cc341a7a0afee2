"""File responses that honour an HTTP `Range` header (RFC 9110 §14), so a browser's
<video> can seek in a file we serve ourselves. One range per request: a multi-range ask
gets the whole file (servers may ignore Range), which is all media players send anyway."""

import re

from django.http import HttpResponse, StreamingHttpResponse

BYTES_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def requested_range(header, size):
    """(first, last) byte of `header` within a file of `size` bytes; None for no range
    (absent, malformed or several: the whole file is sent); "unsatisfiable" when it lies
    outside the file."""
    match = BYTES_RANGE.match((header or "").replace(" ", ""))
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # a suffix: the last N bytes
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    first = int(first)
    last = min(int(last), size - 1) if last else size - 1
    if first >= size or first > last:
        return "unsatisfiable"
    return first, last


def _read(opened, first, last):
    try:
        opened.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = opened.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        opened.close()


def ranged_file_response(request, storage, name, *, content_type):
    """The stored file `name`, whole (200) or the part the request's Range asks (206)."""
    size = storage.size(name)
    wanted = requested_range(request.headers.get("Range"), size)
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = wanted or (0, size - 1)
    response = StreamingHttpResponse(
        _read(storage.open(name, "rb"), first, last),
        status=206 if wanted else 200,
        content_type=content_type,
    )
    response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response
