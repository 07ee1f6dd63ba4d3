// aioflyte console: live updates by polling. Any element with data-poll="URL" is replaced, every data-every
// milliseconds (default 2000), by the HTML that URL returns, while it carries data-live="true". The open/closed
// state of <details> elements with an id survives each refresh, and so does the scroll position of log panes.
(function () {
  "use strict";

  function remember(root) {
    var state = { open: {}, scroll: {} };
    root.querySelectorAll("details[id]").forEach(function (d) { state.open[d.id] = d.open; });
    root.querySelectorAll("pre[id]").forEach(function (p) {
      state.scroll[p.id] = { top: p.scrollTop, atEnd: p.scrollTop + p.clientHeight >= p.scrollHeight - 4 };
    });
    return state;
  }

  function restore(root, state) {
    root.querySelectorAll("details[id]").forEach(function (d) {
      if (Object.prototype.hasOwnProperty.call(state.open, d.id)) { d.open = state.open[d.id]; }
    });
    root.querySelectorAll("pre[id]").forEach(function (p) {
      var s = state.scroll[p.id];
      p.scrollTop = !s || s.atEnd ? p.scrollHeight : s.top;  // a tail follows the end unless scrolled up
    });
  }

  function poll(el) {
    var every = parseInt(el.getAttribute("data-every") || "2000", 10);
    function tick() {
      if (el.getAttribute("data-live") !== "true" || !document.body.contains(el)) { return; }
      var active = document.activeElement;
      if (active && el.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) {
        setTimeout(tick, every);  // never replace a form someone is typing in
        return;
      }
      fetch(el.getAttribute("data-poll"), { credentials: "same-origin", headers: { "X-Console-Partial": "1" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var state = remember(el);
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (!fresh) { return; }
          el.replaceWith(fresh);
          restore(fresh, state);
          poll(fresh);
        })
        .catch(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  function start() {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("pre.log").forEach(function (p) { p.scrollTop = p.scrollHeight; });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
