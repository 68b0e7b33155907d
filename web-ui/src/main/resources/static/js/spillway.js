// Spillway dashboard behaviour: theme toggle, copy buttons, charts, htmx glue. No build step, no CDN.
(function () {
  "use strict";

  function toggleTheme() {
    var current = document.documentElement.getAttribute("data-theme")
      || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    var next = current === "dark" ? "light" : "dark";
    document.documentElement.setAttribute("data-theme", next);
    try { localStorage.setItem("spillway-theme", next); } catch (e) { /* not kept */ }
    redrawCharts();
  }

  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) { return; }
    box.textContent = message;
    box.classList.add("show");
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.classList.remove("show"); }, 2500);
  }

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    var text = target.textContent.trim();
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      toast("Copied to the clipboard");
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { select(target); });
    } else {
      // Plain-HTTP hosts other than localhost have no async clipboard API; select the text so Ctrl-C works.
      select(target);
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* the text stays selected */ }
    }
  }

  function select(target) {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Charts: <div class="chart" data-chart='{"x":[unix seconds...],"series":[{"label":"Requests","values":[...]}]}'>
  function drawCharts(root) {
    if (typeof uPlot === "undefined") { return; }
    root.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      el.dataset.drawn = "1";
      var spec = JSON.parse(el.getAttribute("data-chart"));
      var styles = getComputedStyle(document.documentElement);
      var colors = [styles.getPropertyValue("--accent"), styles.getPropertyValue("--warn"),
        styles.getPropertyValue("--ok"), styles.getPropertyValue("--bad")];
      var series = [{}].concat(spec.series.map(function (s, i) {
        var color = colors[i % colors.length].trim();
        return { label: s.label, stroke: color, width: 2, fill: i === 0 ? color + "22" : undefined, spanGaps: false,
          value: function (u, v) {
            return v == null ? "–" : (s.unit === "$" ? "$" + v.toFixed(4) : Math.round(v * 100) / 100); } };
      }));
      var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
      var axisColor = styles.getPropertyValue("--muted").trim();
      var grid = { stroke: styles.getPropertyValue("--border").trim(), width: 1 };
      var plot = new uPlot({
        width: Math.max(260, el.clientWidth), height: 220, series: series,
        scales: { y: { range: function (u, min, max) { return [0, Math.max(1, max || 0) * 1.1]; } } },
        axes: [{ stroke: axisColor, grid: grid, ticks: grid }, { stroke: axisColor, grid: grid, ticks: grid, size: 56 }],
        legend: { live: true }
      }, data, el);
      el._plot = plot;
      if (spec.logs) { linkToLogs(plot, spec); }
    });
  }

  // A chart with "logs": {"href": "/logs?…", "step": seconds}: a click on a point opens the logs page for that
  // hour or day, with the chart's own filters.
  function linkToLogs(plot, spec) {
    plot.over.style.cursor = "pointer";
    plot.over.title = "Click to see the requests of this period";
    plot.over.addEventListener("click", function () {
      var idx = plot.cursor.idx;
      if (idx == null || spec.x[idx] == null) { return; }
      var from = new Date(spec.x[idx] * 1000).toISOString();
      var to = new Date((spec.x[idx] + spec.logs.step) * 1000).toISOString();
      var href = spec.logs.href;
      window.location.href = href + (href.indexOf("?") >= 0 ? "&" : "?") + "from=" + encodeURIComponent(from)
        + "&to=" + encodeURIComponent(to);
    });
  }

  function redrawCharts() {
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      if (el._plot) { el._plot.destroy(); el._plot = null; }
      delete el.dataset.drawn;
    });
    drawCharts(document);
  }

  var resizeTimer;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
        if (el._plot) { el._plot.setSize({ width: Math.max(260, el.clientWidth), height: 220 }); }
      });
    }, 150);
  });

  document.addEventListener("click", function (event) {
    var copyButton = event.target.closest("[data-copy]");
    if (copyButton) { event.preventDefault(); copy(copyButton); }
    if (event.target.closest("[data-theme-toggle]")) { event.preventDefault(); toggleTheme(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      // 422 carries a form with its field errors: swap it like a success. Other errors are shown, not swapped.
      htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "422", swap: true },
        { code: "[45]..", swap: false, error: true }
      ];
      // Pages with secrets must not come back from htmx's history cache.
      htmx.config.historyCacheSize = 0;
    }
    drawCharts(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });

  // A failed htmx request (not a redirect to sign-in, which htmx follows with a full navigation): show why.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.getResponseHeader("HX-Redirect")) { return; }
    var box = document.getElementById("flash");
    var html = xhr.responseText || "";
    var message;
    if (xhr.status === 403 || xhr.status === 404 || xhr.status === 409 || xhr.status === 400) {
      message = html.indexOf('class="alert') >= 0 ? html
        : '<div class="alert bad" role="alert">The request was refused (' + xhr.status + ').</div>';
    } else {
      message = '<div class="alert bad" role="alert">The server failed (' + xhr.status + '). Try again.</div>';
    }
    if (box) { box.innerHTML = message; box.scrollIntoView({ block: "nearest" }); } else { toast("Request failed (" + xhr.status + ")"); }
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The control plane cannot be reached. Check your connection and try again.");
  });
})();
