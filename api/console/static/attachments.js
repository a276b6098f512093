// An application's proof attachment: the chosen file goes as the raw body to
// POST /v1/applications/{id}/attachments (the session cookie, its CSRF token in
// X-CSRF-Token, the name in X-Filename), where the domain checks its kind, size and count.
// Once attached the page reloads with the file listed; a refusal shows the API's message.
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // A header value must be Latin-1: a name in other scripts is sent percent-encoded.
  function headerSafe(name) {
    return /^[\x20-\x7e]*$/.test(name) ? name : encodeURIComponent(name);
  }

  function message(response) {
    return response.text().then(function (text) {
      try {
        var body = JSON.parse(text);
        if (body && typeof body.message === "string") return body.message;
      } catch (ignored) {
        // not JSON: the status line
      }
      return "HTTP " + response.status;
    });
  }

  function attach(form) {
    var input = form.querySelector("input[type=file]");
    var status = form.querySelector("[role=status]");
    var button = form.querySelector("button[type=submit]");
    var csrf = form.querySelector("input[name=csrf_token]").value;
    function show(text, failed) {
      status.textContent = text;
      if (failed) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = input.files && input.files[0];
      if (!file) {
        show(form.dataset.msgNone, true);
        input.focus();
        return;
      }
      button.disabled = true;
      show(form.dataset.msgSending, false);
      fetch(form.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/octet-stream",
          "X-Filename": headerSafe(file.name),
          "X-CSRF-Token": csrf,
        },
        body: file,
      }).then(function (response) {
        if (response.status === 201) {
          window.location.reload();
          return;
        }
        return message(response).then(function (text) {
          button.disabled = false;
          show(fill(form.dataset.msgFailed, { message: text }), true);
          input.focus();
        });
      }, function () {
        button.disabled = false;
        show(form.dataset.msgNetwork, true);
      });
    });
  }

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  ready(function () {
    document.querySelectorAll("form[data-attach-form]").forEach(attach);
  });
})();
