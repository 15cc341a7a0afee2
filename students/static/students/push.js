// Push opt-in on the portal's "Avisos" page: registers the service worker (/portal/sw.js),
// asks the browser for permission only when the student clicks, subscribes with our
// VAPID public key and sends the subscription to the server (or deletes it there).
// A static file: the portal's Content-Security-Policy refuses inline scripts.
(function () {
  "use strict";
  var form = document.getElementById("push-opt-in");
  if (!form) { return; }
  var status = document.getElementById("push-status");
  var enable = document.getElementById("push-enable");
  var disable = document.getElementById("push-disable");

  function say(kind, subscribed) {
    status.textContent = status.getAttribute("data-" + kind);
    status.setAttribute("data-state", kind);
    enable.hidden = subscribed || kind === "unsupported" || kind === "denied";
    disable.hidden = !subscribed;
  }

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    padded += "===".slice((padded.length + 3) % 4);
    var raw = atob(padded), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function tell(method, subscription) {
    return fetch(form.getAttribute("data-subscription-url"), {
      method: method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value
      },
      body: JSON.stringify(subscription)
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
    });
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported", false);
    return;
  }
  var ready = navigator.serviceWorker.register(form.getAttribute("data-worker-url"), {
    scope: form.getAttribute("data-scope")
  }).then(function () { return navigator.serviceWorker.ready; });

  ready.then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(function (subscription) {
    if (Notification.permission === "denied") { say("denied", false); return; }
    say(subscription ? "on" : "off", !!subscription);
  }).catch(function () { say("failed", false); });

  enable.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { say(permission === "denied" ? "denied" : "off", false); return null; }
      return ready.then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(form.getAttribute("data-public-key"))
        });
      }).then(function (subscription) {
        return tell("POST", subscription.toJSON()).then(function () { say("on", true); });
      });
    }).catch(function () { say("failed", false); });
  });

  disable.addEventListener("click", function () {
    ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      return tell("DELETE", subscription.toJSON()).then(function () {
        return subscription.unsubscribe();
      });
    }).then(function () { say("off", false); }).catch(function () { say("failed", true); });
  });
})();
