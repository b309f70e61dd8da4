// Small progressive enhancement; every page works without it.
(function () {
  "use strict";
  // Cited words: light up the marks of the benefit in the URL hash (#src-<id>).
  function lightCitation() {
    var marks = document.querySelectorAll("mark.cite.active");
    marks.forEach(function (m) { m.classList.remove("active"); });
    var id = decodeURIComponent(location.hash.replace(/^#src-/, ""));
    if (!location.hash.startsWith("#src-") || !id) return;
    document.querySelectorAll("mark.cite").forEach(function (m) {
      if ((m.dataset.benefits || "").split(" ").indexOf(id) >= 0) m.classList.add("active");
    });
  }
  window.addEventListener("hashchange", lightCitation);
  document.addEventListener("DOMContentLoaded", function () {
    lightCitation();
    var share = document.querySelector("[data-share]");
    if (share) { share.value = location.origin + share.value; share.addEventListener("focus", function () { share.select(); }); }
    var printer = document.querySelector("[data-print]");
    if (printer) printer.addEventListener("click", function () { window.print(); });
    var chartBox = document.getElementById("chart");
    var dataEl = document.getElementById("chart-data");
    if (chartBox && dataEl && window.echarts) {
      var data = JSON.parse(dataEl.textContent);
      var chart = window.echarts.init(chartBox);
      chart.setOption({
        title: [{ text: "按政策文件（上限，万元）", left: "2%", textStyle: { fontSize: 14 } },
                { text: "按出资方（上限，万元）", left: "52%", textStyle: { fontSize: 14 } }],
        tooltip: {},
        grid: [{ left: "3%", width: "43%", top: 40, bottom: 30, containLabel: true },
               { left: "53%", width: "43%", top: 40, bottom: 30, containLabel: true }],
        xAxis: [{ type: "category", data: data.documents.map(function (d) { return d[0]; }), gridIndex: 0 },
                { type: "category", data: data.payers.map(function (d) { return d[0]; }), gridIndex: 1 }],
        yAxis: [{ type: "value", gridIndex: 0 }, { type: "value", gridIndex: 1 }],
        series: [{ type: "bar", name: "政策文件", data: data.documents.map(function (d) { return Number(d[1]); }), xAxisIndex: 0, yAxisIndex: 0 },
                 { type: "bar", name: "出资方", data: data.payers.map(function (d) { return Number(d[1]); }), xAxisIndex: 1, yAxisIndex: 1, itemStyle: { color: "#b3261e" } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }
  });
})();
