from django.urls import re_path

from courseops.webhooks.views import receive

app_name = "webhooks"

urlpatterns = [
    # The trailing slash is optional: a vendor configured without it must not get a
    # redirect, which would turn its POST into a GET.
    re_path(r"^(?P<provider>[-a-z0-9_]+)/?$", receive, name="receive"),
]
