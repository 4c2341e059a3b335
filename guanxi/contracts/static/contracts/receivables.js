/* The receivables page's aging chart (ECharts): the buckets' open amounts, read from the
   page's JSON (#gx-aging-data). */
(function () {
  "use strict";
  var source = document.getElementById("gx-aging-data");
  var el = document.getElementById("chart-aging");
  if (!source || !el || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var LANG = document.documentElement.lang || undefined;
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    grid: {left: 4, right: 12, top: 10, bottom: 4, containLabel: true},
    tooltip: {trigger: "axis", valueFormatter: function (v) { return "¥" + Number(v).toLocaleString(LANG, {minimumFractionDigits: 2, maximumFractionDigits: 2}); }},
    xAxis: {type: "value", axisLabel: {formatter: function (v) { return new Intl.NumberFormat(LANG, {notation: "compact"}).format(v); }}},
    yAxis: {type: "category", data: data.buckets, inverse: true},
    series: [{type: "bar", data: data.values.map(Number), itemStyle: {color: function (p) { return ["#94a3b8", "#60a5fa", "#fbbf24", "#f97316", "#dc2626"][p.dataIndex]; }}}]
  });
  window.gxAgingChart = chart;
  window.addEventListener("resize", function () { chart.resize(); });
})();
