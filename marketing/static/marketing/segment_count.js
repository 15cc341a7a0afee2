// Live member count while staff edit a segment's rules (one COUNT query per pause).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var rules = document.getElementById("id_rules");
    if (!rules) return;
    var out = document.createElement("p");
    out.id = "segment-live-count";
    out.setAttribute("aria-live", "polite");
    out.style.fontWeight = "600";
    rules.parentNode.appendChild(out);
    var url = window.location.pathname.split("/segment/")[0] + "/segment/count/";
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    var timer = null;
    function refresh() {
      var body = new FormData();
      body.append("rules", rules.value);
      fetch(url, {method: "POST", body: body, credentials: "same-origin",
                  headers: {"X-CSRFToken": token ? token.value : ""}})
        .then(function (response) { return response.json(); })
        .then(function (data) {
          out.textContent = data.error ? data.error : data.label;
          out.style.color = data.error ? "#b91c1c" : "";
        });
    }
    rules.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    });
    refresh();
  });
})();
