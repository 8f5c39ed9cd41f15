/* The archive's completeness trend (owners/project_archive.html): days and rates come from the chart
   element's data-days and data-rates, so the page needs no inline script. */
(function () {
  "use strict";
  var el = document.getElementById("trend-chart");
  if (!el || !window.echarts) {
    return;
  }
  var chart = window.echarts.init(el);
  chart.setOption({
    grid: {left: 40, right: 10, top: 10, bottom: 24},
    xAxis: {type: "category", data: el.dataset.days.split(",")},
    yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v + "%"; }},
    series: [{type: "line", smooth: true, data: el.dataset.rates.split(",").map(Number), areaStyle: {}}]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
