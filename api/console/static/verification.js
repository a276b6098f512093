// A file of records to verify: the chosen CSV or NDJSON file goes as the raw body to the
// streaming batch route, POST /v1/verification-services/{id}/batch (the session cookie,
// its CSRF token in X-CSRF-Token), which checks every record and the grant's quota before
// answering anything. The NDJSON answers (match or no match, never a value) fill a table
// and a download link; the quota shown is updated from X-Verification-Remaining. A refusal
// (a bad line, a wildcard, the quota reached) shows the API's own message, nothing answered.
(function () {
  "use strict";

  var NDJSON = "application/x-ndjson";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function message(response, text) {
    try {
      var body = JSON.parse(text);
      if (body && typeof body.message === "string") return body.message;
    } catch (ignored) {
      // not JSON: the status line
    }
    return "HTTP " + response.status;
  }

  function contentType(file) {
    if (/\.csv$/i.test(file.name) || file.type === "text/csv") return "text/csv";
    return NDJSON;
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  function Batch(form) {
    this.form = form;
    this.input = form.querySelector("input[type=file]");
    this.status = form.querySelector("[role=status]");
    this.button = form.querySelector("button[type=submit]");
    this.csrf = form.querySelector("input[name=csrf_token]").value;
    this.fields = form.dataset.fields ? form.dataset.fields.split(",") : [];
    this.result = document.getElementById("batch-result");
    this.body = this.result.querySelector("tbody");
    this.download = document.getElementById("batch-download");
    this.perField = this.result.querySelectorAll("thead th").length > 2;
    this.url = null;
    form.addEventListener("submit", this.send.bind(this));
  }

  Batch.prototype.msg = function (name, values) {
    return fill(this.form.dataset["msg" + name] || "", values || {});
  };

  Batch.prototype.show = function (text, failed) {
    this.status.textContent = text;
    this.status.className = failed ? "error-text" : "";
    if (failed) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
  };

  Batch.prototype.clear = function () {
    this.result.hidden = true;
    this.body.textContent = "";
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
  };

  Batch.prototype.send = function (event) {
    event.preventDefault();
    var file = this.input.files && this.input.files[0];
    this.clear();
    if (!file) {
      this.show(this.msg("None"), true);
      this.input.focus();
      return;
    }
    var self = this;
    this.button.disabled = true;
    this.show(this.msg("Sending"), false);
    fetch(this.form.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": contentType(file), "X-CSRF-Token": this.csrf },
      body: file,
    }).then(function (response) {
      return response.text().then(function (text) {
        self.button.disabled = false;
        if (response.ok) self.answered(response, text);
        else {
          self.show(self.msg("Failed", { message: message(response, text) }), true);
          self.input.focus();
        }
      });
    }, function () {
      self.button.disabled = false;
      self.show(self.msg("Network"), true);
    });
  };

  Batch.prototype.answered = function (response, text) {
    var lines = text.split("\n").filter(function (line) { return line !== ""; });
    var self = this;
    lines.forEach(function (line) {
      var answer = JSON.parse(line);
      var row = document.createElement("tr");
      row.className = answer.match ? "is-match" : "is-no-match";
      cell(row, self.msg("Row", { number: answer.record + 1 }));
      cell(row, answer.match ? self.msg("Yes") : self.msg("No"));
      if (self.perField && answer.fields) {
        self.fields.forEach(function (name) {
          cell(row, answer.fields[name] ? self.msg("Yes") : self.msg("No"));
        });
      }
      self.body.appendChild(row);
    });
    this.url = URL.createObjectURL(new Blob([text], { type: NDJSON }));
    this.download.href = this.url;
    this.result.hidden = false;
    var remaining = response.headers.get("X-Verification-Remaining");
    var records = response.headers.get("X-Verification-Records") || String(lines.length);
    if (remaining !== null) {
      var left = document.getElementById("quota-remaining");
      var used = document.getElementById("quota-used");
      var limit = document.getElementById("quota-limit");
      if (left) left.textContent = remaining;
      if (used && limit) used.textContent = String(Number(limit.textContent) - Number(remaining));
    }
    this.show(this.msg("Done", { records: records, remaining: remaining === null ? "?" : remaining }), false);
  };

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  ready(function () {
    document.querySelectorAll("form[data-batch-form]").forEach(function (form) {
      new Batch(form);
    });
  });
})();
