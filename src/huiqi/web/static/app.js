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

  // 名单测算: poll the job's JSON status until it is done, then reload the page.
  function pollBatch(box) {
    var url = box.dataset.batchStatus;
    var stage = box.querySelector("[data-stage]"), count = box.querySelector("[data-count]"), bar = box.querySelector("[data-bar]");
    function tick() {
      fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (s) {
        if (s.status === "done" || s.status === "failed") { location.reload(); return; }
        stage.textContent = s.stage_label;
        var p = s.progress || {};
        if (p.total) { bar.max = p.total; bar.value = p.done; count.textContent = p.done + "/" + p.total; }
        else if (p.done) { count.textContent = "已读" + p.done + "行"; }
        setTimeout(tick, 500);
      }).catch(function () { setTimeout(tick, 2000); });
    }
    setTimeout(tick, 300);
  }
  function batchCharts() {
    var dataEl = document.getElementById("batch-chart-data");
    if (!dataEl || !window.echarts) return;
    var data = JSON.parse(dataEl.textContent);
    document.querySelectorAll(".batch-chart").forEach(function (box) {
      var rows = (data[box.id.replace(/^chart-/, "")] || []).slice().reverse();
      var chart = window.echarts.init(box);
      chart.setOption({
        title: { text: box.dataset.title, left: 8, textStyle: { fontSize: 14 } },
        tooltip: {},
        grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: rows.map(function (d) { return d[0].length > 18 ? d[0].slice(0, 18) + "…" : d[0]; }) },
        series: [{ type: "bar", data: rows.map(function (d) { return Number(d[1]); }) }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  window.addEventListener("hashchange", lightCitation);
  document.addEventListener("DOMContentLoaded", function () {
    lightCitation();
    var batchBox = document.querySelector("[data-batch-status]");
    if (batchBox) pollBatch(batchBox);
    batchCharts();
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
  // Back or reload: the browser puts back what was typed last, beside the result the page was made
  // with; the calculator's fields show the values of that result (their values in the page) instead.
  window.addEventListener("pageshow", function () {
    var form = document.getElementById("calc-form");
    if (form) form.reset();
  });
})();
