/* loopml web UI: draws the charts described by <script type="application/json" class="chart-data">
   blocks with uPlot, again after every htmx swap. No build step; plain ES2017. */
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2",
                "#db2777", "#65a30d", "#4f46e5", "#b45309"];

  function draw(block) {
    if (block.dataset.drawn) { return; }
    block.dataset.drawn = "1";
    var spec = JSON.parse(block.textContent);
    var target = document.getElementById(block.dataset.target);
    if (!target) { return; }
    if (!spec.series.length) {
      target.innerHTML = '<p class="muted">no points yet</p>';
      return;
    }
    var tables = spec.series.map(function (s) { return [s.x, s.y]; });
    var data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    var series = [{label: spec.xlabel || (spec.time ? "time" : "step")}];
    spec.series.forEach(function (s, i) {
      series.push({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: 1.5,
        spanGaps: true,
        points: {show: s.x.length < 60}
      });
    });
    var width = Math.max(280, Math.min(target.clientWidth || 560, 900));
    new uPlot({
      title: spec.title,
      width: width,
      height: spec.height || 220,
      scales: {x: {time: !!spec.time}},
      series: series,
      axes: [{}, {size: 60}],
      legend: {live: true}
    }, data, target);
  }

  function drawAll(root) {
    if (typeof uPlot === "undefined") { return; }
    (root || document).querySelectorAll("script.chart-data").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
    document.body.addEventListener("htmx:afterSettle", function (e) { drawAll(e.target); });
    document.querySelectorAll("form[data-autosubmit] input[type=checkbox]").forEach(function (box) {
      box.addEventListener("change", function () { box.form.requestSubmit(); });
    });
    document.body.dataset.ready = "1";
  });
})();
