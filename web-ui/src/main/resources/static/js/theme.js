// Applies a stored light/dark choice before the first paint (loaded synchronously in <head>; no inline script,
// so the Content-Security-Policy can forbid them).
(function () {
  "use strict";
  try {
    var stored = localStorage.getItem("spillway-theme");
    if (stored === "light" || stored === "dark") {
      document.documentElement.setAttribute("data-theme", stored);
    }
  } catch (e) { /* storage blocked: follow the OS preference */ }
})();
