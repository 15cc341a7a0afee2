// The portal's service worker: shows each push notice and opens its page when clicked.
// The payload is JSON {title, body, url}, decrypted by the browser (RFC 8291).
"use strict";

self.addEventListener("push", function (event) {
  var notice = {};
  try { notice = event.data ? event.data.json() : {}; } catch (error) { notice = {}; }
  event.waitUntil(self.registration.showNotification(notice.title || "CourseOps", {
    body: notice.body || "",
    data: { url: notice.url || "/portal/" },
    lang: "es"
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL(event.notification.data.url, self.location.origin);
  if (url.origin !== self.location.origin) { url = new URL("/portal/", self.location.origin); }
  event.waitUntil(self.clients.openWindow(url.href));
});
