// The scorecard's charts (reporting/score_card.html): the totals of the ranked units as bars and the
// 12-month trend as lines, from the JSON the page embeds (#score-chart-data) with json_script; the same
// numbers are in the page's tables. No inline script (CSP). A figure of null (nothing expected) is a gap.
(function () {
  var source = document.getElementById("score-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var style = getComputedStyle(document.documentElement);
  var muted = style.getPropertyValue("--color-muted").trim() || "#5f6b7a";
  var primary = style.getPropertyValue("--color-primary").trim() || "#2f6690";
  var colours = {
    total: primary,
    timeliness: style.getPropertyValue("--color-success").trim() || "#2e7d4f",
    completeness: style.getPropertyValue("--color-warning").trim() || "#b26a00",
    quality: style.getPropertyValue("--color-danger").trim() || "#b3261e"
  };
  var narrow = function () { return window.innerWidth < 600; };
  var charts = [];

  function bars() {
    return {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      grid: {left: 8, right: 40, top: 8, bottom: 8, containLabel: true},
      xAxis: {type: "value", min: 0, max: 100, axisLabel: {color: muted, fontSize: 11}},
      yAxis: {type: "category", inverse: true, data: data.bars.labels,
              axisLabel: {color: muted, fontSize: 11, width: narrow() ? 100 : 180, overflow: "truncate"}},
      series: [{type: "bar", data: data.bars.values, barMaxWidth: 22, itemStyle: {color: primary},
                label: {show: true, position: "right", fontSize: 11, color: muted,
                        formatter: function (p) { return p.value === null || p.value === undefined ? "—" : p.value.toFixed(2); }}}]
    };
  }

  function trend() {
    return {
      tooltip: {trigger: "axis"},
      legend: {bottom: 0, textStyle: {color: muted, fontSize: 11}},
      grid: {left: 8, right: 16, top: 12, bottom: 32, containLabel: true},
      xAxis: {type: "category", data: data.trend.labels, axisLabel: {color: muted, fontSize: 11}},
      yAxis: {type: "value", min: 0, max: 100, axisLabel: {color: muted, fontSize: 11}},
      series: data.trend.series.map(function (s) {
        return {type: "line", name: s.name, data: s.values, connectNulls: false, showSymbol: true, showAllSymbol: true, symbolSize: 6,
                lineStyle: {width: s.key === "total" ? 3 : 1.5}, itemStyle: {color: colours[s.key]}};
      })
    };
  }

  function draw(el, build) {
    el.hidden = false;
    var chart = echarts.init(el);
    chart.setOption(build());
    charts.push({chart: chart, build: build});
  }

  var barEl = document.querySelector('[data-score-chart="bars"]');
  if (barEl && data.bars.labels.length) {
    barEl.style.height = (Number(barEl.dataset.rows) * 34 + 40) + "px";
    draw(barEl, bars);
  }
  var trendEl = document.querySelector('[data-score-chart="trend"]');
  if (trendEl) { draw(trendEl, trend); }
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.chart.resize(); c.chart.setOption(c.build(), true); });
  });
})();
