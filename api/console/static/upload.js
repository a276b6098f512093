// The provider's file upload: a chosen file goes at once to the staged upload API
// (POST /v1/uploads, the raw file as the body, the session cookie and its CSRF token in
// X-CSRF-Token), a <progress> following XMLHttpRequest's upload progress events. The
// upload_id the API returns is kept in the form's hidden field; the form (the metadata)
// is then posted as usual and the page registers the staged file. A refused upload shows
// the API's own message. Choosing another file discards the one staged before.
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
    this.xhr = null;
    this.submitWhenDone = false;
    box.dataset.uploadState = this.uploadId.value ? "done" : "idle";
    this.input.addEventListener("change", this.start.bind(this));
    form.addEventListener("submit", this.submitting.bind(this));
  }

  Uploader.prototype.msg = function (name, values) {
    return fill(this.box.dataset["msg" + name] || "", values || {});
  };

  Uploader.prototype.show = function (state, percent, text) {
    this.box.dataset.uploadState = state;
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

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  ready(function () {
    document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
      var box = form.querySelector("[data-upload]");
      if (box) new Uploader(form, box);
    });
  });
})();
