// KillReport page helpers: image fallback and the copy-link button. No inline script anywhere.
"use strict";
(function () {
  // An unreachable image server leaves a plain box of the same size, not a broken icon.
  document.addEventListener("error", function (event) {
    var target = event.target;
    if (target instanceof HTMLImageElement && target.classList.contains("eve")) {
      target.classList.add("missing");
    }
  }, true);

  // The copy buttons only work with script, so they show only with it.
  document.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });

  // Empty filter fields stay out of the URL, so a shared link shows only what was chosen.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "kill-filter") { return; }
    Array.prototype.forEach.call(form.elements, function (field) {
      if ((field instanceof HTMLInputElement || field instanceof HTMLSelectElement) &&
          field.name && field.value === "") {
        field.disabled = true;
      }
    });
  });

  // Coming back to the page (history) gives the fields back.
  window.addEventListener("pageshow", function () {
    var form = document.getElementById("kill-filter");
    if (!form) { return; }
    Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var text = new URL(button.getAttribute("data-copy"), window.location.href).href;
    var done = function () {
      button.textContent = "Link copied";
      button.setAttribute("data-copied", "true");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { button.textContent = text; });
    } else {
      button.textContent = text;
    }
  });
})();
