// Small progressive enhancement; every page works without it.
(function () {
  "use strict";
  // The path the app is served under behind a reverse proxy (huiqi serve --root-path), "" at the root.
  var BASE = document.documentElement.dataset.base || "";
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
  // 名单测算: the jobs this browser started, kept in its own storage (the server lists nobody's jobs:
  // a job's number is what opens it), shown on the upload page with their state.
  var JOBS_KEY = "huiqi.batchJobs", JOBS_KEPT = 20;
  var JOB_STATES = { queued: "排队中", running: "测算中", done: "已完成", failed: "测算失败" };
  function storedJobs() {
    try { var jobs = JSON.parse(localStorage.getItem(JOBS_KEY) || "[]"); return Array.isArray(jobs) ? jobs : []; }
    catch (e) { return []; }
  }
  function storeJobs(jobs) {
    try { localStorage.setItem(JOBS_KEY, JSON.stringify(jobs.slice(0, JOBS_KEPT))); } catch (e) { /* storage off: nothing kept */ }
  }
  function rememberJob(el) {
    var jobs = storedJobs(), id = el.dataset.batchJob;
    if (jobs.some(function (j) { return j.id === id; })) return;
    jobs.unshift({ id: id, source: el.dataset.batchSource, at: Date.now() });
    storeJobs(jobs);
  }
  // 15135132.50 → 15,135,132.50, as the page shows money (app.py grouped_yuan)
  function groupYuan(text) {
    var m = /^(-?)(\d+)(\.\d+)?$/.exec(text || "");
    return m ? m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (m[3] || "") : text;
  }
  function recentJobs(box) {
    var jobs = storedJobs();
    if (!jobs.length) return;
    Promise.all(jobs.map(function (j) {
      return fetch(BASE + "/api/batch/" + encodeURIComponent(j.id), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.status === 404 ? null : (r.ok ? r.json() : {}); })
        .catch(function () { return {}; });
    })).then(function (states) {
      var list = box.querySelector("ol"), kept = [];
      jobs.forEach(function (j, i) {
        var s = states[i];
        if (s === null) return;  // deleted, or removed after its days: forgotten here too
        kept.push(j);
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = BASE + "/batch/" + encodeURIComponent(j.id);
        a.textContent = j.source || j.id;
        li.appendChild(a);
        var text = "　" + new Date(j.at).toLocaleString("zh-CN") + "　" + (JOB_STATES[s.status] || "状态未知");
        if (s.as_of) text += "，基准日 " + s.as_of;  // a rerun on another date is told from its original
        if (s.status === "done" && s.total) {
          text += "，可享受资金最高 " + groupYuan(s.total.max) + " 元";
          if (s.total.unbounded) text += "（另有" + s.total.unbounded + "项不设上限，按最低额计入）";
        }
        li.appendChild(document.createTextNode(text));
        list.appendChild(li);
      });
      storeJobs(kept);
      box.hidden = kept.length === 0;
    });
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
    var job = document.querySelector("[data-batch-job]");
    if (job) rememberJob(job);
    var recent = document.getElementById("recent-jobs");
    if (recent) recentJobs(recent);
    batchCharts();
    // 企业测算: after 添加事项/资质/已获奖补 the page opens at the new row, its first field focused
    var focusForm = document.querySelector("form[data-focus]");
    var newField = focusForm && document.getElementById(focusForm.dataset.focus);
    if (newField) { newField.focus(); newField.scrollIntoView({ block: "center" }); }
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
  // Only then: on a page newly opened, what was typed before it finished loading is kept.
  window.addEventListener("pageshow", function (event) {
    var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    var restored = event.persisted || (nav && (nav.type === "back_forward" || nav.type === "reload"));
    var form = document.getElementById("calc-form");
    if (form && restored) form.reset();
  });
})();
