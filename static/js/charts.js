// Draws each dashboard chart from the JSON beside its canvas (console/dashboards.py, Chart.data). The
// table under each chart holds the same figures, for screen readers and for copying.
(function () {
  "use strict";
  var palette = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#64748b"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) return;
    var chart = JSON.parse(source.textContent);
    var line = chart.kind === "line";
    var stacked = chart.kind === "stacked";
    new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series, index) {
          var colour = palette[index % palette.length];
          return {
            label: series.name,
            data: series.values,
            borderColor: colour,
            backgroundColor: line ? colour : colour + "cc",
            spanGaps: true,
            tension: 0.2,
          };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: stacked },
          y: {
            stacked: stacked,
            beginAtZero: true,
            ticks: { callback: function (value) { return value + (chart.unit === "%" ? " %" : chart.unit ? " " + chart.unit : ""); } },
          },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  });
})();
