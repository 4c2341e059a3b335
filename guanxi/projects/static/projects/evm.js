/* The earned-value S-curve (ECharts): cumulative PV, EV and AC by date from the page's
   json_script element, with vertical marks at the status date, the baseline's planned
   finish and the forecast finish. EV is known only at status reports and the status date,
   so its points are joined across the gaps. Labels come from data attributes (translated
   on the server). */
(function () {
  "use strict";
  var el = document.getElementById("evm-chart");
  var source = document.getElementById("gx-evm-curve");
  if (!el || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  if (!data.dates || !data.dates.length) return;
  var label = function (name) { return el.getAttribute("data-label-" + name) || name; };
  var num = function (values) {
    return values.map(function (v) { return v === null || v === undefined ? null : Number(v); });
  };
  // Each mark's label sits at its own height along its line (top, middle, bottom), in the
  // line's colour: marks a few days apart (on a phone, a few pixels) never print over each
  // other.
  var marks = [];
  var positions = ["insideEndTop", "insideMiddleTop", "insideStartTop"];
  var mark = function (date, name, color) {
    marks.push({ xAxis: date, name: name, lineStyle: { color: color },
                 label: { position: positions[marks.length % positions.length], color: color } });
  };
  if (data.status_date) mark(data.status_date, label("today"), "#6b7280");
  if (data.planned_finish) mark(data.planned_finish, label("planned"), "#2563eb");
  if (data.forecast_finish) mark(data.forecast_finish, label("forecast"), "#dc2626");
  var dates = data.dates.slice();
  marks.forEach(function (m) { if (dates.indexOf(m.xAxis) < 0) dates.push(m.xAxis); });
  dates.sort();
  var byDate = function (values) {
    var map = {};
    data.dates.forEach(function (d, i) { map[d] = values[i]; });
    return dates.map(function (d) { return d in map ? map[d] : null; });
  };
  var narrow = el.clientWidth < 500;
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: [label("pv"), label("ev"), label("ac")], top: 0 },
    grid: { left: narrow ? 56 : 80, right: 32, top: 36, bottom: 48 },
    xAxis: { type: "category", data: dates, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", axisLabel: { formatter: function (v) { return v >= 1e6 ? (v / 1e6) + "M" : v >= 1e3 ? (v / 1e3) + "k" : v; } } },
    series: [
      { name: label("pv"), type: "line", data: num(byDate(data.pv)), connectNulls: true, showSymbol: false, lineStyle: { color: "#2563eb" }, itemStyle: { color: "#2563eb" },
        markLine: { symbol: "none", label: { formatter: "{b}" }, data: marks } },
      { name: label("ev"), type: "line", data: num(byDate(data.ev)), connectNulls: true, symbolSize: 6, lineStyle: { color: "#16a34a" }, itemStyle: { color: "#16a34a" } },
      { name: label("ac"), type: "line", data: num(byDate(data.ac)), connectNulls: true, showSymbol: false, lineStyle: { color: "#ea580c" }, itemStyle: { color: "#ea580c" } }
    ]
  });
  el.setAttribute("data-rendered", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
