// Markdown email editor: the email as sent, at desktop and mobile widths, in sandboxed
// iframes (no scripts, no same-origin), refreshed from the server as staff type.
(function () {
  "use strict";
  var WIDTHS = [["Escritorio", 640], ["Móvil", 375]];

  function sibling(area, name) {
    return document.querySelector("[name='" + area.name.replace(/body_markdown$/, name) + "']");
  }

  function setup(area) {
    if (area.dataset.previewReady || area.name.indexOf("__prefix__") >= 0) return;
    area.dataset.previewReady = "1";
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    var box = document.createElement("div");
    box.className = "email-preview flex flex-row flex-wrap gap-4 mt-4";
    var frames = WIDTHS.map(function (item) {
      var figure = document.createElement("figure");
      var caption = document.createElement("figcaption");
      caption.className = "text-sm font-semibold mb-1";
      caption.textContent = item[0] + " (" + item[1] + " px)";
      var frame = document.createElement("iframe");
      frame.setAttribute("sandbox", "");
      frame.setAttribute("title", "Vista previa del correo: " + item[0].toLowerCase());
      frame.dataset.width = String(item[1]);
      frame.style.width = item[1] + "px";
      frame.style.maxWidth = "100%";
      frame.style.height = "520px";
      frame.style.border = "1px solid #d4d4d8";
      frame.style.borderRadius = "6px";
      frame.style.background = "#fff";
      figure.appendChild(caption);
      figure.appendChild(frame);
      box.appendChild(figure);
      return frame;
    });
    area.parentNode.appendChild(box);
    var timer = null;

    function refresh() {
      var body = new FormData();
      body.append("markdown", area.value);
      var subject = sibling(area, "subject");
      if (subject) body.append("subject", subject.value);
      var preheader = document.getElementById("id_preheader");
      if (preheader) body.append("preheader", preheader.value);
      fetch(area.dataset.previewUrl, {method: "POST", body: body, credentials: "same-origin",
                                      headers: {"X-CSRFToken": token ? token.value : ""}})
        .then(function (response) { return response.json(); })
        .then(function (data) {
          frames.forEach(function (frame) { frame.srcdoc = data.html || ""; });
        });
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    refresh();
  }

  function setupAll(root) {
    root.querySelectorAll("textarea[data-preview-url]").forEach(setup);
  }
  document.addEventListener("DOMContentLoaded", function () { setupAll(document); });
  // A variant or step added with "Añadir otro".
  document.addEventListener("formset:added", function (event) { setupAll(event.target); });
})();
