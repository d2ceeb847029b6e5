// The dashboard's "sending now" panel: asks the admin for the live counts every few
// seconds and puts the (already formatted) numbers in place. A static file, because
// the admin's CSP allows no inline script. When the set of sends changes (one
// finished, another started), the page reloads to redraw every panel.
(function () {
  "use strict";
  var panel = document.getElementById("live-panel");
  if (!panel || !window.fetch) { return; }
  var url = panel.getAttribute("data-live-url");
  var seconds = parseInt(panel.getAttribute("data-poll-seconds"), 10) || 5;
  var shown = Array.prototype.map.call(panel.querySelectorAll(".nashra-send"), function (el) {
    return el.getAttribute("data-digest");
  }).join(",");

  function setText(root, selector, text) {
    var el = root.querySelector(selector);
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  function update(data) {
    var ids = data.sends.map(function (s) { return String(s.digest); }).join(",");
    if (ids !== shown) { window.location.reload(); return; }
    data.sends.forEach(function (send) {
      var box = panel.querySelector('.nashra-send[data-digest="' + send.digest + '"]');
      if (!box) { return; }
      setText(box, '[data-field="status_label"]', send.status_label);
      setText(box, '[data-field="progress"]', send.progress);
      setText(box, '[data-field="recipients"]', send.recipients);
      Object.keys(send.shown).forEach(function (status) {
        setText(box, '[data-count="' + status + '"]', send.shown[status]);
      });
      var bar = box.querySelector('[data-field="progress-bar"]');
      if (bar) { bar.style.width = Math.round(100 * send.progress_ratio) + "%"; }
    });
    panel.setAttribute("data-updated", new Date().toISOString());
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { update(data); } })
      .catch(function () { /* a missed poll is retried on the next tick */ })
      .then(function () { window.setTimeout(poll, seconds * 1000); });
  }
  // At once: the page was drawn from counts up to a few minutes old.
  poll();
}());
