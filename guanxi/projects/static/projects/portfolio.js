/* The portfolio's SPI × CPI scatter (ECharts): one point per project from the page's
   json_script element, coloured by its status, with the 1.0 lines marking "on plan"; a
   click opens the project's earned-value tab. Axis names come from data attributes. */
(function () {
  "use strict";
  var el = document.getElementById("portfolio-chart");
  var source = document.getElementById("gx-portfolio-scatter");
  if (!el || !source || !window.echarts) return;
  var points = JSON.parse(source.textContent);
  var colours = { red: "#dc2626", amber: "#d97706", green: "#16a34a", "": "#6b7280" };
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: function (p) { return p.data.name + "<br>SPI " + p.data.value[0] + " · CPI " + p.data.value[1]; } },
    grid: { left: 48, right: 16, top: 16, bottom: 40 },
    xAxis: { type: "value", name: el.getAttribute("data-label-x"), nameLocation: "middle", nameGap: 24, scale: true },
    yAxis: { type: "value", name: el.getAttribute("data-label-y"), nameLocation: "middle", nameGap: 32, scale: true },
    series: [{
      type: "scatter", symbolSize: 8,
      data: points.map(function (p) {
        return { name: p.name, url: p.url, value: [Number(p.spi), Number(p.cpi)], itemStyle: { color: colours[p.rag] || colours[""] } };
      }),
      markLine: { symbol: "none", silent: true, lineStyle: { color: "#9ca3af", type: "dashed" }, label: { show: false }, data: [{ xAxis: 1 }, { yAxis: 1 }] }
    }]
  });
  chart.on("click", function (p) { if (p.data && p.data.url) window.location.href = p.data.url; });
  el.setAttribute("data-rendered", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
