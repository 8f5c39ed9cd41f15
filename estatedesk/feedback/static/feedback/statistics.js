// The month's statistics charts (R-FB-7): ECharts from the JSON the page embeds (#stats-data).
(function () {
  var data = JSON.parse(document.getElementById("stats-data").textContent);
  var style = getComputedStyle(document.documentElement);
  var primary = style.getPropertyValue("--color-primary").trim() || "#2f6690";
  var success = style.getPropertyValue("--color-success").trim() || "#2e7d4f";
  var muted = style.getPropertyValue("--color-muted").trim() || "#5f6b7a";
  var narrow = function () { return window.innerWidth < 600; };

  function option(spec, width) {
    var axisText = {color: muted, fontSize: 11};
    if (spec.type === "pie") {
      // wide: the labels beside the slices; narrow: a legend under the ring and the counts on it
      return {
        tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
        color: [primary, "#d9822b", success, "#7a5195", "#2a9d8f", "#bc5090", "#8d99ae"],
        legend: narrow() ? {bottom: 0, icon: "circle", itemWidth: 10, itemHeight: 10, textStyle: axisText} : {show: false},
        series: [{
          type: "pie", name: spec.name, radius: narrow() ? ["38%", "66%"] : ["40%", "68%"],
          center: ["50%", narrow() ? "44%" : "50%"], avoidLabelOverlap: true,
          label: narrow() ? {position: "inside", formatter: "{c}", color: "#fff", fontSize: 11}
                          : {formatter: "{b}\n{c}", fontSize: 11},
          data: spec.labels.map(function (label, i) { return {name: label, value: spec.values[i]}; })
            .filter(function (d) { return d.value > 0; })
        }]
      };
    }
    if (spec.type === "hbar") {
      return {
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        grid: {left: 8, right: 28, top: 4, bottom: 4, containLabel: true},
        xAxis: {type: "value", minInterval: 1, axisLabel: axisText},
        yAxis: {type: "category", inverse: true, data: spec.labels,
                axisLabel: {color: muted, fontSize: 11, width: narrow() ? 110 : 150, overflow: "truncate"}},
        series: [{type: "bar", name: spec.name, data: spec.values, itemStyle: {color: primary},
                  barMaxWidth: 18, label: {show: true, position: "right", fontSize: 11}}]
      };
    }
    if (spec.type === "bar") {
      // the labels side by side when they fit their slot, else slanted
      var slot = (width - 50) / spec.labels.length;
      return {
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        grid: {left: 8, right: 8, top: 20, bottom: 4, containLabel: true},
        xAxis: {type: "category", data: spec.labels,
                axisLabel: {color: muted, fontSize: 11, interval: 0, rotate: slot < 72 ? 40 : 0,
                            width: slot < 72 ? 80 : slot - 6, overflow: "truncate"}},
        yAxis: {type: "value", minInterval: 1, axisLabel: axisText},
        series: [{type: "bar", name: spec.name, data: spec.values, itemStyle: {color: primary},
                  barMaxWidth: 32, label: {show: true, position: "top", fontSize: 11}}]
      };
    }
    return {  // "rate": % of decided clocks met in time; no bar where nothing is decided yet
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"},
                valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; }},
      grid: {left: 8, right: 8, top: 20, bottom: 4, containLabel: true},
      xAxis: {type: "category", data: spec.labels,
              axisLabel: {color: muted, fontSize: 11, interval: 0, width: narrow() ? 90 : 140, overflow: "break"}},
      yAxis: {type: "value", min: 0, max: 100, axisLabel: {color: muted, fontSize: 11, formatter: "{value}%"}},
      series: [{type: "bar", name: spec.name, data: spec.values, itemStyle: {color: success},
                barMaxWidth: 40, label: {show: true, position: "top", fontSize: 11, formatter: "{c}%"}}]
    };
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = data[el.dataset.chart];
    if (!spec) { return; }
    if (spec.type === "hbar") { el.style.height = (Number(el.dataset.rows) * 26 + 16) + "px"; }
    el.hidden = false;
    var chart = echarts.init(el);
    chart.setOption(option(spec, el.clientWidth));
    charts.push({chart: chart, spec: spec, el: el});
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (entry) {
      entry.chart.resize();
      entry.chart.setOption(option(entry.spec, entry.el.clientWidth), true);
    });
  });
})();
