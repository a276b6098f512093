// The console works without this script; it only improves on the server-rendered pages.
// - A form's error summary gets the focus when the page loads, so a keyboard or screen
//   reader user lands on what went wrong.
// - Selects of a filter form marked data-autosubmit submit it when changed.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }
  ready(function () {
    var summary = document.querySelector(".error-summary[tabindex='-1']");
    if (summary) summary.focus();
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
  });
})();
