// The confirmation page confirms by itself: a person who opened the link needs no
// second click. Link scanners fetch the page without running this, so they never POST.
(function () {
  "use strict";
  var form = document.querySelector("form[data-auto-submit]");
  if (!form) { return; }
  var wait = document.getElementById("confirm-wait");
  if (wait) { wait.hidden = false; }
  form.querySelector("button").disabled = true;
  form.submit();
})();
