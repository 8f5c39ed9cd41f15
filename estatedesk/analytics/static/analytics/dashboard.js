// The dashboard's charts (issue 15, R-FB-7): ECharts from the JSON the page embeds (#dashboard-data), the
// same numbers as the tables under them. No inline script (Content-Security-Policy): this file only.
(function () {
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var style = getComputedStyle(document.documentElement);
  var primary = style.getPropertyValue("--color-primary").trim() || "#2f6690";
  var success = style.getPropertyValue("--color-success").trim() || "#2e7d4f";
  var muted = style.getPropertyValue("--color-muted").trim() || "#5f6b7a";
  var palette = [primary, "#d9822b", success, "#7a5195", "#2a9d8f", "#bc5090", "#8d99ae"];
  var narrow = function () { return window.innerWidth < 600; };
  var axisText = {color: muted, fontSize: 11};
  var percent = function (v) { return v === null || v === undefined ? "—" : v + "%"; };
  var unitSelect = document.querySelector("[data-unit-figure]");

  function categoryAxis(labels, width) {
    var slot = (width - 50) / Math.max(labels.length, 1);
    return {type: "category", data: labels,
            axisLabel: {color: muted, fontSize: 11, interval: 0, rotate: slot < 72 ? 40 : 0,
                        width: slot < 72 ? 80 : slot - 6, overflow: "truncate"}};
  }

  function option(key, spec, width) {
    if (spec.type === "pie") {
      return {
        tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
        color: palette,
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
      return {
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        grid: {left: 8, right: 8, top: 20, bottom: 4, containLabel: true},
        xAxis: categoryAxis(spec.labels, width),
        yAxis: {type: "value", minInterval: 1, axisLabel: axisText},
        series: [{type: "bar", name: spec.name, data: spec.values, itemStyle: {color: primary},
                  barMaxWidth: 32, label: {show: true, position: "top", fontSize: 11}}]
      };
    }
    if (spec.type === "units") {
      // one bar per unit for the figure chosen above the chart
      var figure = spec.figures[unitSelect ? Number(unitSelect.value) : 0];
      return {
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"},
                  valueFormatter: figure.percent ? percent : function (v) { return v === null ? "—" : v; }},
        grid: {left: 8, right: 8, top: 20, bottom: 4, containLabel: true},
        xAxis: categoryAxis(spec.labels, width),
        yAxis: figure.percent ? {type: "value", min: 0, max: 100, axisLabel: {color: muted, fontSize: 11, formatter: "{value}%"}}
                              : {type: "value", axisLabel: axisText},
        series: [{type: "bar", name: figure.label, data: figure.values, itemStyle: {color: primary},
                  barMaxWidth: 40,
                  label: {show: true, position: "top", fontSize: 11, formatter: figure.percent ? "{c}%" : "{c}"}}]
      };
    }
    if (spec.type === "trend") {
      return {
        tooltip: {trigger: "axis"},
        legend: {bottom: 0, textStyle: axisText},
        grid: {left: 8, right: 8, top: 20, bottom: 28, containLabel: true},
        xAxis: {type: "category", data: spec.labels, axisLabel: axisText},
        yAxis: [{type: "value", minInterval: 1, axisLabel: axisText},
                {type: "value", min: 0, max: 100, axisLabel: {color: muted, fontSize: 11, formatter: "{value}%"}}],
        series: [
          {type: "bar", name: spec.items_name, data: spec.items, itemStyle: {color: primary}, barMaxWidth: 32},
          {type: "line", name: spec.rate_name, yAxisIndex: 1, data: spec.rate, itemStyle: {color: success},
           connectNulls: false, tooltip: {valueFormatter: percent}}
        ]
      };
    }
    return {  // "rate": % of decided clocks met in time; no bar where nothing is decided
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, valueFormatter: percent},
      grid: {left: 8, right: 8, top: 20, bottom: 4, containLabel: true},
      xAxis: {type: "category", data: spec.labels,
              axisLabel: {color: muted, fontSize: 11, interval: 0, width: narrow() ? 70 : 120, overflow: "break"}},
      yAxis: {type: "value", min: 0, max: 100, axisLabel: {color: muted, fontSize: 11, formatter: "{value}%"}},
      series: [{type: "bar", name: spec.name, data: spec.values, itemStyle: {color: success},
                barMaxWidth: 40, label: {show: true, position: "top", fontSize: 11, formatter: "{c}%"}}]
    };
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var key = el.dataset.chart;
    var spec = data[key];
    if (!spec) { return; }
    if (spec.type === "hbar") { el.style.height = (Number(el.dataset.rows) * 26 + 16) + "px"; }
    el.hidden = false;
    var chart = echarts.init(el);
    chart.setOption(option(key, spec, el.clientWidth));
    charts.push({chart: chart, key: key, spec: spec, el: el});
  });
  function redraw(only) {
    charts.forEach(function (entry) {
      if (only && entry.key !== only) { return; }
      entry.chart.resize();
      entry.chart.setOption(option(entry.key, entry.spec, entry.el.clientWidth), true);
    });
  }
  window.addEventListener("resize", function () { redraw(); });
  if (unitSelect) { unitSelect.addEventListener("change", function () { redraw("units"); }); }
})();
