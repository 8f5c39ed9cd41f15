// The Pareto chart of a campaign's unsatisfied answers (R-SV-3, surveys/analysis.html): bars descending, the
// cumulative share as a line on a second axis (0-100%), a dashed line at the cutoff (80%). The data comes
// from the page (#pareto-data, json_script); no inline script (CSP).
(function () {
  var source = document.getElementById("pareto-data");
  var el = document.querySelector("[data-pareto-chart]");
  if (!source || !el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var style = getComputedStyle(document.documentElement);
  var primary = style.getPropertyValue("--color-primary").trim() || "#2f6690";
  var danger = style.getPropertyValue("--color-danger").trim() || "#b3261e";
  var muted = style.getPropertyValue("--color-muted").trim() || "#5f6b7a";
  var narrow = function () { return window.innerWidth < 600; };
  var percent = function (v) { return v === null || v === undefined ? "—" : v.toFixed(2) + "%"; };

  function option(width) {
    var slot = (width - 90) / Math.max(data.labels.length, 1);
    var tilt = slot < 64;
    return {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {bottom: 0, textStyle: {color: muted, fontSize: 11}},
      grid: {left: 8, right: 8, top: 28, bottom: 36, containLabel: true},
      xAxis: {type: "category", data: data.labels,
              axisLabel: {color: muted, fontSize: 11, interval: 0, rotate: tilt ? 40 : 0,
                          width: tilt ? 72 : Math.max(slot - 6, 40), overflow: "truncate"}},
      yAxis: [
        {type: "value", minInterval: 1, name: narrow() ? "" : data.names.count,
         nameTextStyle: {color: muted, fontSize: 11}, axisLabel: {color: muted, fontSize: 11}},
        {type: "value", min: 0, max: 100, interval: 20, splitLine: {show: false},
         axisLabel: {color: muted, fontSize: 11, formatter: "{value}%"}}
      ],
      series: [
        {type: "bar", name: data.names.count, data: data.counts, barMaxWidth: 48,
         itemStyle: {color: primary}, label: {show: true, position: "top", fontSize: 11}},
        {type: "line", name: data.names.cumulative, yAxisIndex: 1, data: data.cumulative,
         itemStyle: {color: danger}, lineStyle: {width: 2}, symbolSize: 6,
         tooltip: {valueFormatter: percent},
         label: {show: !narrow(), position: "top", fontSize: 10, formatter: function (p) { return percent(p.value); }},
         markLine: {silent: true, symbol: "none", lineStyle: {type: "dashed", color: muted},
                    label: {formatter: data.cutoff + "%", color: muted, fontSize: 11},
                    data: [{yAxis: data.cutoff, name: data.names.cutoff}]}}
      ]
    };
  }

  el.hidden = false;
  var chart = echarts.init(el);
  chart.setOption(option(el.clientWidth));
  window.addEventListener("resize", function () { chart.resize(); chart.setOption(option(el.clientWidth), true); });
})();
