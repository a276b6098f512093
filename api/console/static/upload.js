// The provider's file upload: a chosen file goes at once to the staged upload API
// (POST /v1/uploads, the raw file as the body, the session cookie and its CSRF token in
// X-CSRF-Token), a <progress> following XMLHttpRequest's upload progress events. The
// upload_id the API returns is kept in the form's hidden field; the form (the metadata)
// is then posted as usual and the page registers the staged file. A refused upload shows
// the API's own message. Choosing another file discards the one staged before. On the
// registration form a chosen CSV file also offers a draft of the data dictionary from its
// header (read in the browser; nothing is sent for it).
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

  function apiMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && typeof body.message === "string") return body.message;
    } catch (ignored) {
      // not JSON: fall through to the status line
    }
    return "HTTP " + xhr.status + (xhr.statusText ? " " + xhr.statusText : "");
  }

  function Uploader(form, box) {
    this.form = form;
    this.box = box;
    this.input = box.querySelector("input[type=file]");
    this.progress = box.querySelector("progress");
    this.status = box.querySelector("[role=status]");
    this.uploadId = form.querySelector("input[name=upload_id]");
    this.uploadName = form.querySelector("input[name=upload_name]");
    this.csrf = form.querySelector("input[name=csrf_token]");
    this.cancel = box.querySelector("[data-upload-cancel]");
    this.xhr = null;
    this.submitWhenDone = false;
    this.cancel.addEventListener("click", this.abort.bind(this));
    box.dataset.uploadState = this.uploadId.value ? "done" : "idle";
    this.input.addEventListener("change", this.start.bind(this));
    form.addEventListener("submit", this.submitting.bind(this));
  }

  Uploader.prototype.msg = function (name, values) {
    return fill(this.box.dataset["msg" + name] || "", values || {});
  };

  Uploader.prototype.show = function (state, percent, text) {
    this.box.dataset.uploadState = state;
    this.cancel.hidden = state !== "uploading";
    this.progress.setAttribute("value", String(percent));
    this.progress.value = percent;
    this.status.textContent = text;
    if (state === "failed") this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
  };

  Uploader.prototype.discardStaged = function () {
    var staged = this.uploadId.value;
    this.uploadId.value = "";
    this.uploadName.value = "";
    if (!staged) return;
    var drop = new XMLHttpRequest();
    drop.open("DELETE", "/v1/uploads/" + encodeURIComponent(staged));
    drop.setRequestHeader("X-CSRF-Token", this.csrf.value);
    drop.send();
  };

  // The request is dropped before the server finished it: the API discards a partial
  // upload, so nothing is staged.
  Uploader.prototype.abort = function () {
    if (!this.xhr) return;
    var xhr = this.xhr;
    this.xhr = null;
    xhr.abort();
    this.submitWhenDone = false;
    this.input.value = "";
    this.show("idle", 0, this.msg("Cancelled"));
    this.input.focus();
  };

  Uploader.prototype.start = function () {
    var file = this.input.files && this.input.files[0];
    if (this.xhr) this.xhr.abort();
    this.discardStaged();
    if (!file) {
      this.show("idle", 0, "");
      return;
    }
    var self = this;
    var xhr = new XMLHttpRequest();
    this.xhr = xhr;
    xhr.open("POST", "/v1/uploads");
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("X-Filename", headerSafe(file.name));
    xhr.setRequestHeader("X-CSRF-Token", this.csrf.value);
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || event.total === 0) return;
      var percent = Math.floor((event.loaded / event.total) * 100);
      self.show("uploading", percent, self.msg("Uploading", { percent: percent }));
    });
    xhr.addEventListener("load", function () {
      if (self.xhr !== xhr) return; // cancelled or replaced
      self.xhr = null;
      if (xhr.status === 201) {
        var staged = JSON.parse(xhr.responseText);
        self.uploadId.value = staged.upload_id;
        self.uploadName.value = file.name;
        self.show("done", 100, self.msg("Done", { name: file.name, bytes: staged.byte_size }));
        if (self.submitWhenDone) {
          self.submitWhenDone = false;
          self.form.requestSubmit();
        }
      } else {
        self.submitWhenDone = false;
        self.show("failed", 0, self.msg("Failed", { message: apiMessage(xhr) }));
      }
    });
    xhr.addEventListener("error", function () {
      if (self.xhr !== xhr) return; // cancelled
      self.xhr = null;
      self.submitWhenDone = false;
      self.show("failed", 0, self.msg("Network"));
    });
    this.show("uploading", 0, this.msg("Uploading", { percent: 0 }));
    xhr.send(file);
  };

  Uploader.prototype.submitting = function (event) {
    var state = this.box.dataset.uploadState;
    if (state === "uploading") {
      event.preventDefault();
      this.submitWhenDone = true;
      this.status.textContent = this.msg("Wait");
      return;
    }
    if (state === "failed") {
      event.preventDefault();
      this.input.focus();
      return;
    }
    var button = this.form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = this.msg("Submitting");
    }
  };

  // -- drafting the data dictionary from a CSV file's header ---------------------------
  // The draft names each column with the type its first rows suggest and an empty
  // classification: the provider decides that one (registration refuses it empty).

  function csvFields(line) {
    var fields = [];
    var field = "";
    var quoted = false;
    for (var i = 0; i < line.length; i += 1) {
      var c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          field += '"';
          i += 1;
        } else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") {
        fields.push(field);
        field = "";
      } else field += c;
    }
    fields.push(field);
    return fields;
  }

  var TYPES = [
    ["int64", /^[+-]?\d+$/],
    ["float64", /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/],
    ["bool", /^(true|false)$/i],
    ["date", /^\d{4}-\d{2}-\d{2}$/],
    ["timestamp", /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/],
  ];

  function guessType(values) {
    var present = values.filter(function (v) { return v !== ""; });
    if (present.length === 0) return "string";
    for (var i = 0; i < TYPES.length; i += 1) {
      var pattern = TYPES[i][1];
      if (present.every(function (v) { return pattern.test(v); })) return TYPES[i][0];
    }
    return "string";
  }

  function draftDictionary(text) {
    var lines = text.split(/\r?\n/);
    if (lines.length > 1) lines.pop(); // the last line of a slice may be cut short
    var header = csvFields(lines[0] || "");
    var rows = lines.slice(1, 201).filter(function (l) { return l !== ""; }).map(csvFields);
    return header.map(function (name, index) {
      var values = rows.map(function (row) { return row[index] === undefined ? "" : row[index]; });
      return { name: name.trim(), type: guessType(values), classification: "" };
    });
  }

  function Drafter(form) {
    this.form = form;
    this.button = form.querySelector("[data-draft-dictionary]");
    this.input = form.querySelector("input[type=file]");
    this.textarea = form.querySelector("textarea[name=dictionary]");
    this.status = document.getElementById(this.button.getAttribute("aria-describedby"));
    this.input.addEventListener("change", this.offer.bind(this));
    this.button.addEventListener("click", this.draft.bind(this));
  }

  Drafter.prototype.file = function () {
    var file = this.input.files && this.input.files[0];
    return file && /\.csv$/i.test(file.name) ? file : null;
  };

  Drafter.prototype.offer = function () {
    this.button.hidden = !this.file();
  };

  Drafter.prototype.draft = function () {
    var file = this.file();
    if (!file) return;
    var self = this;
    file.slice(0, 256 * 1024).text().then(function (text) {
      var drafted = JSON.stringify(draftDictionary(text), null, 2);
      var editor = self.textarea.codeEditor;
      if (editor) {
        editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: drafted } });
      } else {
        self.textarea.value = drafted;
      }
      self.status.textContent = self.button.dataset.msgDrafted;
    });
  };

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  ready(function () {
    document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
      var box = form.querySelector("[data-upload]");
      if (box) new Uploader(form, box);
      if (form.querySelector("[data-draft-dictionary]")) new Drafter(form);
    });
  });
})();
