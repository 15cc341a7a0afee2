"""The browser's side of web push, for any Chromium test (the whole-journey test too).

Headless Chromium has no push service: `PushManager.subscribe()` rejects with
"AbortError: Registration failed - permission denied" even with the notifications
permission granted (checked with Chromium 156 here), since subscribing asks Google's FCM,
which a headless, offline browser cannot reach. So the closest real thing:

- everything of ours runs for real: the portal page, its script (static file, under the
  production CSP), the service worker registered at /portal/ (over TLS, see
  `chromium_for_push`), the permission prompt answered by the browser context, the
  subscription POSTed with the CSRF token, and our server encrypting to it;
- only `PushManager.subscribe()`/`getSubscription()` are stood in for (an init script),
  answering with a subscription on the local push service whose keys the test holds;
  the stand-in records the options our script passed (our VAPID key, userVisibleOnly);
- what the push service received is decrypted with those keys, as the browser would, and
  handed to our real service worker through the DevTools protocol
  (`ServiceWorker.deliverPushMessage`, what DevTools' "Push" button does), whose
  notification is then read back with `registration.getNotifications()`.
"""

import base64
import json

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

_STAND_IN = """
(() => {
  const subscription = %s;
  let current = null;
  const made = {
    endpoint: subscription.endpoint,
    toJSON: () => subscription,
    unsubscribe: () => { current = null; return Promise.resolve(true); }
  };
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__pushSubscribeOptions = {
      userVisibleOnly: options.userVisibleOnly,
      applicationServerKey: btoa(String.fromCharCode.apply(null, key))
    };
    current = made;
    return Promise.resolve(made);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
})();
"""


def chromium_for_push():
    """A module-scoped `chromium` fixture for push tests: Chromium refuses to register a
    service worker from an origin whose certificate it does not trust, and the live
    server's is self-signed (ignore_https_errors covers pages, not service workers)."""

    @pytest.fixture(scope="module")
    def chromium():
        playwright_api = pytest.importorskip("playwright.sync_api")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            with playwright_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"],
                )
                yield browser
                browser.close()

    return chromium


def opt_in_to_push(page, push_service):
    """The signed-in student turns notifications on from the portal's "Avisos" page;
    returns the browser's keys (tests.push.BrowserKeys) to read what is pushed to it."""
    browser = push_service.new_browser()
    page.context.grant_permissions(["notifications"])
    page.add_init_script(script=_STAND_IN % json.dumps(browser.as_json()))
    page.goto("/portal/avisos/")
    status = page.locator("#push-status")
    status.and_(page.locator("[data-state=off]")).wait_for()
    with page.expect_response("**/portal/avisos/suscripcion/") as answer:
        page.get_by_role("button", name="Activar avisos", exact=True).click()
    assert answer.value.status == 201
    page.locator("#push-status[data-state=on]").wait_for()
    options = page.evaluate("window.__pushSubscribeOptions")
    assert options["userVisibleOnly"] is True
    sent_key = base64.b64decode(options["applicationServerKey"])
    assert base64.urlsafe_b64encode(sent_key).rstrip(b"=").decode() == (
        push_service.vapid_public_key
    )
    return browser


def show_in_browser(page, payload):
    """Hand a decrypted push to the portal's service worker; returns the notifications it
    shows ([{"title", "body", "url"}])."""
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_function("navigator.serviceWorker.controller !== undefined")
    origin = page.evaluate("location.origin")
    for _attempt in range(50):
        ours = [r for r in registrations if r["scopeURL"].startswith(origin + "/portal/")]
        if ours:
            break
        page.wait_for_timeout(100)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": ours[0]["registrationId"], "data": payload},
    )
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(n => n.length > 0)"
    )
    return page.evaluate(
        """async () => (await (await navigator.serviceWorker.ready).getNotifications())
             .map(n => ({title: n.title, body: n.body, url: n.data.url}))"""
    )
