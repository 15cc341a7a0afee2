// Segment builder: rows of field / operator / value in AND-OR groups, kept in sync with
// the rules JSON below it, and the live member count (one COUNT query per pause).
(function () {
  "use strict";
  var NUMERIC = ["score", "inactive_days", "created_within_days"];
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
          out.classList.toggle("segment-error", Boolean(data.error));
        });
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 600); }
    rules.addEventListener("input", later);
    refresh();
    if (!fieldsNode) return;

    // [{name, label, ops: [[op, label]], values: [[value, label]] | null, number}]
    var SPEC = JSON.parse(fieldsNode.textContent);
    var FIELDS = {};
    SPEC.forEach(function (item) { FIELDS[item.name] = item; });
    var names = SPEC.map(function (item) { return item.name; });
    var state;
    try { state = JSON.parse(rules.value || "{}"); } catch (error) { state = null; }
    if (!state || typeof state !== "object" || Array.isArray(state)) state = {};
    state.match = state.match || "all";
    state.conditions = state.conditions || [];
    var root = make("div", {id: "segment-builder"});
    rules.parentNode.insertBefore(root, rules);
    // The JSON stays in the form (it is what is saved) but staff work with the rows.
    rules.style.display = "none";

    function sync() {
      rules.value = JSON.stringify(state);
      later();
    }

    function typed(field, raw) {
      var spec = FIELDS[field];
      var number = spec && (spec.number || (spec.values && spec.values.length &&
                                            typeof spec.values[0][0] === "number"));
      return number && raw !== "" ? Number(raw) : raw;
    }

    function valueInput(condition) {
      var spec = FIELDS[condition.field] || {};
      var many = LISTS.indexOf(condition.op) >= 0;
      var current = Array.isArray(condition.value) ? condition.value : [condition.value];
      var node;
      if (spec.values) {
        node = make("select", {"aria-label": "valor"});
        if (many) { node.multiple = true; node.size = Math.min(6, spec.values.length); }
        else node.appendChild(make("option", {value: ""}, "—"));
        spec.values.forEach(function (option) {
          var item = make("option", {value: String(option[0])}, option[1]);
          if (current.map(String).indexOf(String(option[0])) >= 0) item.selected = true;
          node.appendChild(item);
        });
        node.addEventListener("change", function () {
          var picked = Array.prototype.filter.call(node.options, function (o) {
            return o.selected && o.value !== "";
          }).map(function (o) { return typed(condition.field, o.value); });
          condition.value = many ? picked : (picked.length ? picked[0] : "");
          sync();
        });
        return node;
      }
      node = make("input", {type: spec.number ? "number" : "text", "aria-label": "valor"});
      var shown = Array.isArray(condition.value) ? condition.value.join(", ") : condition.value;
      node.value = shown === undefined ? "" : shown;
      node.addEventListener("input", function () {
        condition.value = parseValue(condition.field, condition.op, node.value);
        sync();
      });
      return node;
    }

    function conditionRow(condition, list) {
      var row = make("div", {"class": "segment-condition"});
      var field = select(SPEC.map(function (f) { return [f.name, f.label]; }),
                         condition.field, "campo");
      var ops = (FIELDS[condition.field] || {ops: []}).ops;
      var op = select(ops, condition.op, "operador");
      var value = valueInput(condition);
      var remove = make("button", {type: "button", "class": "segment-remove",
                                   "aria-label": "quitar condición", title: "Quitar condición"},
                        "✕");
      field.addEventListener("change", function () {
        condition.field = field.value;
        condition.op = FIELDS[field.value].ops[0][0];
        condition.value = LISTS.indexOf(condition.op) >= 0 ? [] : "";
        render();
        sync();
      });
      op.addEventListener("change", function () {
        var wasMany = LISTS.indexOf(condition.op) >= 0;
        condition.op = op.value;
        var many = LISTS.indexOf(condition.op) >= 0;
        if (many && !wasMany) condition.value = condition.value === "" ? [] : [condition.value];
        if (!many && wasMany) condition.value = condition.value.length ? condition.value[0] : "";
        render();
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
      var match = select([["all", "Todas estas condiciones"], ["any", "Alguna de estas"]],
                         group.match || "all", "se cumplen");
      match.addEventListener("change", function () { group.match = match.value; sync(); });
      var head = make("div", {"class": "segment-group-head"});
      head.appendChild(match);
      box.appendChild(head);
      group.conditions.forEach(function (item) {
        box.appendChild(item.conditions ? groupBox(item, group.conditions)
                                        : conditionRow(item, group.conditions));
      });
      var actions = make("div", {"class": "segment-actions"});
      var addCondition = make("button", {type: "button"}, "+ condición");
      addCondition.addEventListener("click", function () {
        var first = FIELDS[names[0]];
        var firstOp = first.ops[0][0];
        group.conditions.push({field: first.name, op: firstOp,
                               value: LISTS.indexOf(firstOp) >= 0 ? [] : ""});
        render();
        sync();
      });
      var addGroup = make("button", {type: "button"}, "+ grupo");
      addGroup.addEventListener("click", function () {
        group.conditions.push({match: "any", conditions: []});
        render();
        sync();
      });
      actions.appendChild(addCondition);
      actions.appendChild(addGroup);
      box.appendChild(actions);
      if (parentList) {
        var remove = make("button", {type: "button", "class": "segment-remove",
                                     "aria-label": "quitar grupo"}, "✕ Quitar grupo");
        remove.addEventListener("click", function () {
          parentList.splice(parentList.indexOf(group), 1);
          render();
          sync();
        });
        head.appendChild(remove);
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
