// Logging out removes this user's unsaved registration drafts from the browser: they may
// hold a caller's contact details, and the next person at this PC must not find them.
(function () {
  "use strict";
  var form = document.getElementById("logout-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    try {
      Object.keys(window.localStorage)
        .filter(function (key) { return key.indexOf("kcc-draft:") === 0; })
        .forEach(function (key) { window.localStorage.removeItem(key); });
    } catch (error) {
      // Storage disabled: there are no drafts to remove.
    }
  });
})();
