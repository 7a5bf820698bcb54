// Small maps without a tile server: the town's courtyards as points at their latitude and longitude, drawn by
// ECharts on plain axes kept to the same scale both ways (a degree of longitude is cos(latitude) of one of
// latitude). Each element with class "map" names its JSON in data-source:
// {courtyards: [{name, lat, lon, open?}], here?: {name, lat, lon, label}}.
(function () {
  var font = { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };

  function bounds(points, width, height) {
    var lats = points.map(function (p) { return p.lat; });
    var lons = points.map(function (p) { return p.lon; });
    var midLat = (Math.min.apply(null, lats) + Math.max.apply(null, lats)) / 2;
    var squeeze = Math.cos(midLat * Math.PI / 180) || 1;
    var spanLat = Math.max(Math.max.apply(null, lats) - Math.min.apply(null, lats), 0.002);
    var spanLon = Math.max(Math.max.apply(null, lons) - Math.min.apply(null, lons), 0.002);
    // Widen the narrower extent so that a kilometre is as long across as up and down.
    var perPixel = Math.max(spanLat / height, spanLon * squeeze / width) * 1.3;
    var midLon = (Math.min.apply(null, lons) + Math.max.apply(null, lons)) / 2;
    var halfLat = perPixel * height / 2, halfLon = perPixel * width / 2 / squeeze;
    return { lat: [midLat - halfLat, midLat + halfLat], lon: [midLon - halfLon, midLon + halfLon] };
  }

  function draw(element) {
    var data = JSON.parse(document.getElementById(element.dataset.source).textContent);
    var all = data.courtyards.concat(data.here ? [data.here] : []);
    if (!all.length) { return null; }
    var chart = echarts.init(element);
    var grid = { left: 16, right: 72, top: 24, bottom: 16 };  // room for the names beside the points
    function option() {
      var box = bounds(all, Math.max(element.clientWidth - 88, 50), Math.max(element.clientHeight - 40, 50));
      var axis = { show: false, scale: true };
      var most = Math.max.apply(null, data.courtyards.map(function (c) { return c.open || 0; }).concat([1]));
      var series = [{
        name: "院落", type: "scatter",
        data: data.courtyards.map(function (c) { return { name: c.name, value: [c.lon, c.lat, c.open] }; }),
        symbolSize: function (v) { return v[2] === undefined ? 10 : 8 + 28 * Math.sqrt((v[2] || 0) / most); },
        itemStyle: { color: "#5470c6", opacity: 0.75 },
        label: { show: true, position: "right", distance: data.here ? 12 : 5, fontSize: 12, color: "#1f2933",
          formatter: function (p) { return p.value[2] === undefined ? p.name : p.name + " " + p.value[2]; } }
      }];
      if (data.here) {
        series.push({
          name: data.here.label, type: "effectScatter", rippleEffect: { scale: 2.2 }, symbolSize: 12, z: 5,
          data: [{ name: data.here.name, value: [data.here.lon, data.here.lat] }],
          itemStyle: { color: "#c62828" },
          label: { show: true, position: "left", distance: 10, fontSize: 13, fontWeight: "bold", color: "#c62828",
            formatter: function () { return data.here.label; } }
        });
      }
      return {
        textStyle: font, animation: false, grid: grid,
        tooltip: { trigger: "item", formatter: function (p) {
          var v = p.value;
          return echarts.format.encodeHTML(p.name) + "<br>纬度 " + v[1].toFixed(5) + "，经度 " + v[0].toFixed(5) +
            (v[2] === undefined ? "" : "<br>在办 " + v[2] + " 件");
        } },
        xAxis: Object.assign({ type: "value", min: box.lon[0], max: box.lon[1] }, axis),
        yAxis: Object.assign({ type: "value", min: box.lat[0], max: box.lat[1] }, axis),
        series: series
      };
    }
    chart.setOption(option());
    window.addEventListener("resize", function () { chart.resize(); chart.setOption(option()); });
    return chart;
  }

  Array.prototype.forEach.call(document.querySelectorAll(".map[data-source]"), draw);
})();
