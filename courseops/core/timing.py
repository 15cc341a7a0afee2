"""How long the server took, on staff pages: `Server-Timing: app;dur=<wall ms>,
cpu;dur=<ms of CPU the request's thread used>`. Browser devtools show it next to the
request; the staff tour (tests/browser/test_staff_tour.py) holds pages to a budget with
the wall time (`app`: what staff wait for, database included). CPU time is what the page
itself costs, whatever else the machine is running. Students and integrations get no header.
"""

import time


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wall, cpu = time.perf_counter(), time.thread_time()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_staff:
            response["Server-Timing"] = (
                f"app;dur={(time.perf_counter() - wall) * 1000:.1f}, "
                f"cpu;dur={(time.thread_time() - cpu) * 1000:.1f}"
            )
        return response
