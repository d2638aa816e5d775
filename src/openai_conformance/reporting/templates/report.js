(function () {
  "use strict";
  var all = function (selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); };
  var byId = function (id) { return document.getElementById(id); };
  var query = byId("q"), checkSelect = byId("check"), onlyNew = byId("only-new");
  var clear = byId("clear"), count = byId("count"), empty = byId("empty");
  var chips = all("#outcomes button");
  var rows = all("tr.op-row"), findings = all("article.finding");
  var groups = all("#violations details.group"), streamGroups = all("#streams details.group");
  var state = { q: "", outcomes: [], check: "", onlyNew: false };

  function active() { return Boolean(state.q || state.outcomes.length || state.check || state.onlyNew); }

  function matches(el, checks) {
    if (state.q && (el.getAttribute("data-text") || "").indexOf(state.q) < 0) return false;
    if (state.outcomes.length && state.outcomes.indexOf(el.getAttribute("data-outcome")) < 0) return false;
    if (state.check && checks.indexOf(state.check) < 0) return false;
    if (state.onlyNew && el.getAttribute("data-new") !== "1") return false;
    return true;
  }
  function checksOf(el) { return (el.getAttribute("data-checks") || "").split(" ").filter(Boolean); }

  function paint() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row, checksOf(row));
      row.hidden = !ok;
      if (ok) shown++;
    });
    findings.forEach(function (card) {
      card.hidden = !matches(card, [card.getAttribute("data-check")]);
    });
    groups.forEach(function (group) {
      var visible = all("article.finding", group).some(function (card) { return !card.hidden; });
      group.hidden = !visible;
      if (visible && active()) group.open = true;
    });
    streamGroups.forEach(function (group) { group.hidden = !matches(group, checksOf(group)); });
    count.textContent = active() ? shown + " of " + rows.length + " operations" : rows.length + " operations";
    clear.hidden = !active();
    empty.hidden = !active() || shown > 0;
    chips.forEach(function (chip) {
      chip.setAttribute("aria-pressed", String(state.outcomes.indexOf(chip.getAttribute("data-outcome")) >= 0));
    });
    remember();
  }

  function remember() {
    var parts = [];
    if (state.q) parts.push("q=" + encodeURIComponent(state.q));
    if (state.outcomes.length) parts.push("o=" + state.outcomes.join(","));
    if (state.check) parts.push("c=" + encodeURIComponent(state.check));
    if (state.onlyNew) parts.push("n=1");
    var hash = parts.length ? "#filter:" + parts.join("&") : "";
    if (hash === location.hash || (!hash && location.hash.indexOf("#filter:") !== 0)) return;
    try { history.replaceState(null, "", hash || location.pathname + location.search); } catch (e) { /* a file: URL may refuse */ }
  }

  function restore() {
    if (location.hash.indexOf("#filter:") !== 0) return;
    location.hash.slice(8).split("&").forEach(function (part) {
      var pair = part.split("="), value = decodeURIComponent(pair[1] || "");
      if (pair[0] === "q") state.q = value.toLowerCase();
      if (pair[0] === "o") state.outcomes = value.split(",").filter(Boolean);
      if (pair[0] === "c") state.check = value;
      if (pair[0] === "n") state.onlyNew = value === "1";
    });
    query.value = state.q;
    if (checkSelect) checkSelect.value = state.check;
    if (onlyNew) onlyNew.checked = state.onlyNew;
  }

  var timer = null;
  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = query.value.trim().toLowerCase(); paint(); }, 80);
  });
  chips.forEach(function (chip) {
    chip.addEventListener("click", function () {
      var name = chip.getAttribute("data-outcome"), at = state.outcomes.indexOf(name);
      if (at >= 0) state.outcomes.splice(at, 1); else state.outcomes.push(name);
      paint();
    });
  });
  if (checkSelect) checkSelect.addEventListener("change", function () { state.check = checkSelect.value; paint(); });
  if (onlyNew) onlyNew.addEventListener("change", function () { state.onlyNew = onlyNew.checked; paint(); });
  clear.addEventListener("click", function () {
    state = { q: "", outcomes: [], check: "", onlyNew: false };
    query.value = "";
    if (checkSelect) checkSelect.value = "";
    if (onlyNew) onlyNew.checked = false;
    paint();
  });
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((document.activeElement || {}).tagName || "");
    if (event.key === "/" && !typing) { event.preventDefault(); query.focus(); }
    if (event.key === "Escape" && document.activeElement === query) { query.value = ""; state.q = ""; paint(); }
  });

  function copied(button) {
    button.textContent = "Copied";
    button.classList.add("done");
    setTimeout(function () { button.textContent = "Copy"; button.classList.remove("done"); }, 1400);
  }
  function fallback(text, button) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { if (document.execCommand("copy")) copied(button); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
  all("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.closest(".evidence").querySelector("pre").textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button); }, function () { fallback(text, button); });
      } else {
        fallback(text, button);
      }
    });
  });
  // A link to a finding opens the group that holds it.
  function reveal() {
    if (!location.hash || location.hash.indexOf("#filter:") === 0) return;
    var target = document.getElementById(location.hash.slice(1));
    if (!target) return;
    var group = target.closest("details");
    if (group) group.open = true;
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);

  restore();
  paint();
  reveal();
})();
