"use strict";
// Selecting a card (or a round's header) shows its panel; #anchors select too, so a page
// opened at run.html#r2-t0 shows that trajectory. In VS Code's webview the extension posts
// newer versions of the page while a run is in progress; they replace #run in place.
(function () {
  var selected = null;
  var vscode = typeof window.acquireVsCodeApi === "function" ? window.acquireVsCodeApi() : null;
  function show(id) {
    var panelId = id.endsWith("-detail") ? id : id + "-detail";
    var panel = document.getElementById(panelId);
    if (!panel) { return false; }
    document.querySelectorAll(".panel").forEach(function (p) { p.hidden = p !== panel; });
    document.querySelectorAll(".selected").forEach(function (e) { e.classList.remove("selected"); });
    var owner = document.querySelector('[data-target="' + panelId + '"]');
    if (owner) { owner.classList.add("selected"); }
    selected = panelId;
    if (vscode) { vscode.setState({ selected: selected }); }
    return true;
  }
  function select(id, scroll) {
    if (!show(id)) { return; }
    var owner = document.querySelector('[data-target="' + selected + '"]');
    if (scroll && owner) { owner.scrollIntoView({ block: "nearest", inline: "nearest" }); }
    var detail = document.getElementById("detail");
    if (detail) { detail.scrollTop = 0; }
    if (history.replaceState && !vscode) {
      history.replaceState(null, "", "#" + selected.replace(/-detail$/, ""));
    }
  }
  document.addEventListener("click", function (ev) {
    var el = ev.target instanceof Element ? ev.target.closest("[data-target], a.jump, svg a") : null;
    if (!el) { return; }
    var target = el.getAttribute("data-target") || (el.getAttribute("href") || "").replace(/^#/, "");
    if (!target) { return; }
    ev.preventDefault();
    select(target, true);
  });
  document.addEventListener("keydown", function (ev) {
    if (!selected || (ev.key !== "ArrowDown" && ev.key !== "ArrowUp")) { return; }
    var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
    var i = cards.findIndex(function (c) { return c.getAttribute("data-target") === selected; });
    if (i < 0) { return; }
    var next = cards[i + (ev.key === "ArrowDown" ? 1 : -1)];
    if (next) { ev.preventDefault(); select(next.getAttribute("data-target"), true); next.focus(); }
  });
  function initial() {
    var hash = decodeURIComponent((location.hash || "").replace(/^#/, ""));
    if (hash && show(hash)) { return; }
    var chosen = document.querySelector(".card.chosen") || document.querySelector(".card");
    if (chosen) { show(chosen.getAttribute("data-target")); }
  }
  initial();
  if (vscode) {
    var state = vscode.getState();
    if (state && state.selected) { show(state.selected); }
    window.addEventListener("message", function (ev) {
      var data = ev.data;
      if (!data || data.type !== "pacore.update" || typeof data.html !== "string") { return; }
      var fresh = new DOMParser().parseFromString(data.html, "text/html").getElementById("run");
      var old = document.getElementById("run");
      if (!fresh || !old) { return; }
      var keep = selected;
      var scroll = document.getElementById("detail") ? document.getElementById("detail").scrollTop : 0;
      old.replaceWith(document.importNode(fresh, true));
      document.title = data.title || document.title;
      if (!(keep && show(keep))) { initial(); }
      var detail = document.getElementById("detail");
      if (detail) { detail.scrollTop = scroll; }
    });
  }
})();
