// Spillway dashboard behaviour: theme toggle, copy buttons, charts, htmx glue. No build step, no CDN.
(function () {
  "use strict";

  // Theme: explicit choice in localStorage, else the OS preference (handled by CSS).
  var stored = localStorage.getItem("spillway-theme");
  if (stored === "light" || stored === "dark") {
    document.documentElement.setAttribute("data-theme", stored);
  }
  function toggleTheme() {
    var current = document.documentElement.getAttribute("data-theme")
      || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    var next = current === "dark" ? "light" : "dark";
    document.documentElement.setAttribute("data-theme", next);
    localStorage.setItem("spillway-theme", next);
  }

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    var text = target.textContent.trim();
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      // Plain-HTTP localhost has no async clipboard API; select the text so Ctrl-C works.
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  }

  // Charts: <div class="chart" data-chart='{"x":[unix seconds...],"series":[{"label":"Requests","values":[...]}]}'>
  function drawCharts(root) {
    if (typeof uPlot === "undefined") { return; }
    root.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      el.dataset.drawn = "1";
      var spec = JSON.parse(el.getAttribute("data-chart"));
      var styles = getComputedStyle(document.documentElement);
      var colors = [styles.getPropertyValue("--accent"), styles.getPropertyValue("--ok"),
        styles.getPropertyValue("--warn"), styles.getPropertyValue("--bad")];
      var series = [{}].concat(spec.series.map(function (s, i) {
        return { label: s.label, stroke: colors[i % colors.length].trim(), width: 2,
          value: function (u, v) { return v == null ? "–" : (s.unit === "$" ? "$" + v.toFixed(4) : v.toLocaleString()); } };
      }));
      var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
      var axisColor = styles.getPropertyValue("--muted").trim();
      var grid = { stroke: styles.getPropertyValue("--border").trim(), width: 1 };
      new uPlot({
        width: Math.max(280, el.clientWidth), height: 220, series: series,
        axes: [{ stroke: axisColor, grid: grid }, { stroke: axisColor, grid: grid }],
        legend: { live: true }
      }, data, el);
    });
  }

  document.addEventListener("click", function (event) {
    var copyButton = event.target.closest("[data-copy]");
    if (copyButton) { event.preventDefault(); copy(copyButton); }
    if (event.target.closest("[data-theme-toggle]")) { event.preventDefault(); toggleTheme(); }
  });

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });

  // A failed htmx request that the server did not turn into a redirect: say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var box = document.getElementById("flash");
    if (box && status >= 500) {
      box.innerHTML = '<div class="alert bad" role="alert">The server failed (' + status + '). Try again.</div>';
    }
  });
})();
