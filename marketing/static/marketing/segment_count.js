// Segment builder: rows of field / operator / value in AND-OR groups, kept in sync with
// the rules JSON below it, and the live member count (one COUNT query per pause).
(function () {
  "use strict";
  var NUMERIC = ["score", "inactive_days", "created_within_days", "webinar_registered",
                 "webinar_attended", "clicked_campaign"];
  var LISTS = ["in", "not_in"];

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) node.textContent = text;
    return node;
  }

  function select(options, value, label) {
    var node = make("select", {"aria-label": label});
    options.forEach(function (option) {
      var item = make("option", {value: option[0]}, option[1]);
      if (option[0] === value) item.selected = true;
      node.appendChild(item);
    });
    return node;
  }

  function parseValue(field, op, raw) {
    var parts = LISTS.indexOf(op) >= 0 ? raw.split(",").map(function (v) { return v.trim(); })
                                       : [raw.trim()];
    if (NUMERIC.indexOf(field) >= 0) parts = parts.map(Number);
    return LISTS.indexOf(op) >= 0 ? parts.filter(function (v) { return v !== ""; }) : parts[0];
  }

  document.addEventListener("DOMContentLoaded", function () {
    var rules = document.getElementById("id_rules");
    if (!rules) return;
    var fieldsNode = document.getElementById("segment-fields");
    var out = make("p", {id: "segment-live-count", "aria-live": "polite"});
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
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 600); }
    rules.addEventListener("input", later);
    refresh();
    if (!fieldsNode) return;

    var FIELDS = JSON.parse(fieldsNode.textContent);
    var names = Object.keys(FIELDS);
    var state;
    try { state = JSON.parse(rules.value || "{}"); } catch (error) { state = null; }
    if (!state || typeof state !== "object" || Array.isArray(state)) state = {};
    state.match = state.match || "all";
    state.conditions = state.conditions || [];
    var root = make("div", {id: "segment-builder"});
    rules.parentNode.insertBefore(root, rules);

    function sync() {
      rules.value = JSON.stringify(state);
      later();
    }

    function conditionRow(condition, list) {
      var row = make("div", {"class": "segment-condition"});
      var field = select(names.map(function (n) { return [n, n]; }), condition.field, "campo");
      var ops = FIELDS[condition.field] || [];
      var op = select(ops.map(function (o) { return [o, o]; }), condition.op, "operador");
      var shown = Array.isArray(condition.value) ? condition.value.join(", ") : condition.value;
      var value = make("input", {type: "text", "aria-label": "valor"});
      value.value = shown === undefined ? "" : shown;
      var remove = make("button", {type: "button", "aria-label": "quitar condición"}, "✕");
      field.addEventListener("change", function () {
        condition.field = field.value;
        condition.op = FIELDS[field.value][0];
        render();
        sync();
      });
      op.addEventListener("change", function () {
        condition.op = op.value;
        condition.value = parseValue(condition.field, condition.op, value.value);
        sync();
      });
      value.addEventListener("input", function () {
        condition.value = parseValue(condition.field, condition.op, value.value);
        sync();
      });
      remove.addEventListener("click", function () {
        list.splice(list.indexOf(condition), 1);
        render();
        sync();
      });
      [field, op, value, remove].forEach(function (node) { row.appendChild(node); });
      return row;
    }

    function groupBox(group, parentList) {
      var box = make("div", {"class": "segment-group"});
      box.style.cssText = "border-left:3px solid #93c5fd;padding:4px 8px;margin:4px 0";
      var match = select([["all", "Todas estas condiciones"], ["any", "Alguna de estas"]],
                         group.match || "all", "se cumplen");
      match.addEventListener("change", function () { group.match = match.value; sync(); });
      box.appendChild(match);
      group.conditions.forEach(function (item) {
        box.appendChild(item.conditions ? groupBox(item, group.conditions)
                                        : conditionRow(item, group.conditions));
      });
      var addCondition = make("button", {type: "button"}, "+ condición");
      addCondition.addEventListener("click", function () {
        group.conditions.push({field: names[0], op: FIELDS[names[0]][0], value: ""});
        render();
        sync();
      });
      var addGroup = make("button", {type: "button"}, "+ grupo");
      addGroup.addEventListener("click", function () {
        group.conditions.push({match: "any", conditions: []});
        render();
        sync();
      });
      box.appendChild(addCondition);
      box.appendChild(addGroup);
      if (parentList) {
        var remove = make("button", {type: "button", "aria-label": "quitar grupo"}, "✕ grupo");
        remove.addEventListener("click", function () {
          parentList.splice(parentList.indexOf(group), 1);
          render();
          sync();
        });
        box.appendChild(remove);
      }
      return box;
    }

    function render() {
      root.textContent = "";
      root.appendChild(groupBox(state, null));
    }
    render();
  });
})();
