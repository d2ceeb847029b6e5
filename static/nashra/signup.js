// Progressive enhancement of the signup form: send it with fetch, show the answer in
// place, keep the button disabled while sending. Without this script the form posts
// normally and the server renders a result page.
(function () {
  "use strict";
  document.querySelectorAll("form.signup").forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    var message = form.querySelector(".signup-message");

    function show(text, ok) {
      message.textContent = text;
      message.className = "signup-message " + (ok ? "ok" : "error");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { "Accept": "application/json", "X-Requested-With": "XMLHttpRequest" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.ok) {
            show(data.message, true);
            form.querySelectorAll("input[name=name], input[name=email]").forEach(function (el) { el.value = ""; });
            return;
          }
          var general = [];
          Object.keys(data.errors || {}).forEach(function (field) {
            var slot = form.querySelector('.field-error[data-for="' + field + '"]');
            if (slot) { slot.textContent = data.errors[field].join(" "); } else { general.push(data.errors[field].join(" ")); }
          });
          show(general.length ? general.join(" ") : form.dataset.failure, false);
        })
        .catch(function () { show(form.dataset.failure, false); })
        .finally(function () { button.disabled = false; });
    });
  });
})();
