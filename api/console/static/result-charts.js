// A released result's numeric tables drawn as bar charts with the vendored Chart.js, from
// the HTML table beside each canvas (first column: labels; each further column a series),
// so the chart never says anything the accessible table does not.
(function () {
  "use strict";
  const COLOURS = ["#1f6feb", "#d9480f", "#2b8a3e", "#9c36b5", "#e67700", "#0b7285"];
  function draw(canvas) {
    const table = document.getElementById(canvas.dataset.table);
    if (!table || typeof Chart === "undefined") return;
    const series = Array.from(table.querySelectorAll("thead th")).slice(1).map((th) => th.textContent.trim());
    const labels = [];
    const values = series.map(() => []);
    table.querySelectorAll("tbody tr").forEach((row) => {
      labels.push(row.querySelector("th").textContent.trim());
      row.querySelectorAll("td").forEach((cell, i) => values[i].push(Number(cell.textContent)));
    });
    new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: series.map((label, i) => ({ label, data: values[i], backgroundColor: COLOURS[i % COLOURS.length] })) },
      options: { responsive: true, maintainAspectRatio: false, animation: false },
    });
    canvas.dataset.drawn = "true";
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("canvas.result-chart").forEach(draw);
  });
})();
