// Live progress of a digest being sent: polls the ledger counts every 2 seconds while
// the digest is sending, and reloads the page when it stops (new buttons apply then).
(function () {
  "use strict";
  var panel = document.querySelector(".send-progress[data-progress-url]");
  if (!panel) { return; }
  var bar = panel.querySelector("progress");
  function show(data) {
    var done = data.recipients - data.pending - data.submitting;
    bar.max = data.recipients || 1;
    bar.value = done;
    panel.querySelectorAll("[data-key]").forEach(function (el) {
      var key = el.getAttribute("data-key");
      var value = key === "pending" ? data.pending + data.submitting : data[key];
      el.textContent = Number(value).toLocaleString(document.documentElement.lang);
    });
  }
  function poll() {
    fetch(panel.dataset.progressUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        show(data);
        if (data.status === "sending") { setTimeout(poll, 2000); }
        else if (panel.dataset.status === "sending") { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
