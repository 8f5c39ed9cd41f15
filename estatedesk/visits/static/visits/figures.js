// The return-visit figures chart (visits/figures.html): A/B/C stacked per project, from the JSON the page
// embeds (#visit-figures-data) with json_script; no inline script (CSP).
(function () {
  var source = document.getElementById("visit-figures-data");
  var el = document.querySelector("[data-visit-chart]");
  if (!source || !el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var style = getComputedStyle(document.documentElement);
  var muted = style.getPropertyValue("--color-muted").trim() || "#5f6b7a";
  var colours = {
    a: style.getPropertyValue("--color-success").trim() || "#2e7d4f",
    b: style.getPropertyValue("--color-primary").trim() || "#2f6690",
    c: style.getPropertyValue("--color-danger").trim() || "#b3261e"
  };
  var narrow = function () { return window.innerWidth < 600; };

  function option() {
    return {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {bottom: 0, textStyle: {color: muted, fontSize: 11}},
      grid: {left: 8, right: 16, top: 8, bottom: 32, containLabel: true},
      xAxis: {type: "value", minInterval: 1, axisLabel: {color: muted, fontSize: 11}},
      yAxis: {type: "category", inverse: true, data: data.labels,
              axisLabel: {color: muted, fontSize: 11, width: narrow() ? 100 : 160, overflow: "truncate"}},
      series: data.series.map(function (s) {
        return {type: "bar", stack: "grades", name: s.name, data: s.values, barMaxWidth: 22,
                itemStyle: {color: colours[s.key]},
                label: {show: true, fontSize: 11, color: "#fff",
                        formatter: function (p) { return p.value ? p.value : ""; }}};
      })
    };
  }

  el.style.height = (Number(el.dataset.rows) * 34 + 60) + "px";
  el.hidden = false;
  var chart = echarts.init(el);
  chart.setOption(option());
  window.addEventListener("resize", function () { chart.resize(); chart.setOption(option(), true); });
})();
