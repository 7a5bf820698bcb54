// Draws the dashboard's charts from the JSON the page carries (no inline script: the CSP forbids it).
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var font = { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };
  var charts = [];
  var trend = echarts.init(document.getElementById("trend"));
  trend.setOption({
    textStyle: font, animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: ["登记", "办结"], top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.trend.weeks },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "登记", type: "bar", data: data.trend.collected, itemStyle: { color: "#5470c6" } },
      { name: "办结", type: "line", data: data.trend.resolved, itemStyle: { color: "#2e7d32" } }
    ]
  });
  charts.push(trend);
  var categories = echarts.init(document.getElementById("categories"));
  categories.setOption({
    textStyle: font, animation: false,
    tooltip: { trigger: "item", formatter: "{b}：{c} 件（{d}%）" },
    series: [{ type: "pie", radius: ["35%", "65%"], data: data.categories, label: { formatter: "{b}\n{c}" } }]
  });
  charts.push(categories);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
