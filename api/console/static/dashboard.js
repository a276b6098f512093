// The statistics dashboard's charts, drawn with the vendored Chart.js from the data table
// beside each chart (so the chart and its accessible table never disagree). A panel is a
// <section class="chart-panel"> holding <canvas id="X-canvas"> and <table id="X-table">:
// the table's first column labels the points, each further column is one series.
(function () {
  "use strict";
  const KINDS = { applications: "bar", deadlines: "bar", attributes: "doughnut",
    complaints: "bar", spending: "line" };
  const COLOURS = ["#1f6feb", "#d9480f", "#2b8a3e", "#9c36b5", "#e67700", "#0b7285",
    "#c2255c", "#495057"];

  function read(table) {
    const series = Array.from(table.querySelectorAll("thead th")).slice(1)
      .map((th) => th.textContent.trim());
    const labels = [];
    const values = series.map(() => []);
    table.querySelectorAll("tbody tr").forEach((row) => {
      labels.push(row.querySelector("th").textContent.trim());
      row.querySelectorAll("td").forEach((cell, i) => values[i].push(Number(cell.textContent)));
    });
    return { labels, series, values };
  }

  function draw(name, kind) {
    const canvas = document.getElementById(`${name}-canvas`);
    const table = document.getElementById(`${name}-table`);
    if (!canvas || !table || typeof Chart === "undefined") return;
    const data = read(table);
    const datasets = data.series.map((label, i) => ({
      label,
      data: data.values[i],
      backgroundColor: kind === "doughnut" ? COLOURS : COLOURS[i % COLOURS.length],
      borderColor: kind === "doughnut" ? "#fff" : COLOURS[i % COLOURS.length],
      fill: false,
      tension: 0.2,
    }));
    canvas.chart = new Chart(canvas, {
      type: kind,
      data: { labels: data.labels, datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false },
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll() {
    Object.entries(KINDS).forEach(([name, kind]) => draw(name, kind));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
