// The statistics dashboard's charts, drawn from the figures the page carries
// in <script type="application/json" id="chart-data"> (the same figures are
// in the page's tables, which stay the accessible reading): the series with
// its warning bands and the forecast's fans (uPlot), the divisions ranked as
// bars (uPlot), and the divisions on a map coloured by value (Leaflet, no
// tiles: only the outlines served by egov).
(function () {
  'use strict';
  var holder = document.getElementById('chart-data');
  if (!holder || typeof uPlot === 'undefined') return;
  var data = JSON.parse(holder.textContent);

  var LIGHT = {
    red: 'rgba(198, 40, 40, 0.16)',
    yellow: 'rgba(249, 168, 37, 0.22)',
    green: 'rgba(46, 125, 50, 0.14)',
    light_blue: 'rgba(79, 195, 247, 0.22)',
    blue: 'rgba(21, 101, 192, 0.14)',
  };
  var INK = '#1f3a5f';
  var FORECAST = '#b71c1c';

  // A DHIS2 period identifier as the time its period begins (seconds).
  function periodStart(p) {
    var y = +p.slice(0, 4);
    var month = 0;
    if (/^\d{4}Q\d$/.test(p)) month = (+p.charAt(5) - 1) * 3;
    else if (/^\d{6}/.test(p)) month = +p.slice(4, 6) - 1;
    var day = /^\d{8}$/.test(p) ? +p.slice(6, 8) : 1;
    return Date.UTC(y, month, day) / 1000;
  }

  function width(el) {
    return Math.max(280, el.clientWidth || 600);
  }

  function fixed(v) {
    return v == null ? '' : v.toFixed(data.decimals);
  }

  function seriesChart() {
    var el = document.getElementById('series-chart');
    if (!el) return;
    var periods = data.periods.slice();
    var n = periods.length;
    var f = data.forecast;
    var ahead = f && f.periods ? f.periods.length : 0;
    var all = periods.concat(ahead ? f.periods : []);
    var xs = all.map(periodStart);
    var pad = function (arr, before, after) {
      var out = [];
      for (var i = 0; i < before; i++) out.push(null);
      out = out.concat(arr);
      for (var j = 0; j < after; j++) out.push(null);
      return out;
    };
    var values = pad(data.values, 0, ahead);
    var cut = function (k) {
      return pad(data.bands.map(function (b) { return b ? b[k] : null; }), 0, ahead);
    };
    // The forecast and its fans start from the last value, so they join it.
    var last = null;
    for (var i = n - 1; i >= 0; i--) {
      if (data.values[i] != null) { last = data.values[i]; break; }
    }
    var fan = function (key) {
      if (!ahead) return pad([], 0, n);
      var out = pad([], n - 1, 0);
      out.push(last);
      return out.concat(f[key]);
    };
    var plotData = [xs, values, cut(3), cut(2), cut(1), cut(0),
      fan('upper_95'), fan('upper_80'), fan('lower_80'), fan('lower_95'), fan('value')];
    var hidden = { stroke: 'transparent', width: 0, points: { show: false } };
    var opts = {
      width: width(el),
      height: 320,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: INK, grid: { stroke: '#e3e7ee' } },
        { stroke: INK, grid: { stroke: '#e3e7ee' }, size: 64,
          values: function (u, splits) { return splits.map(function (v) { return v.toLocaleString(); }); } },
      ],
      series: [
        {},
        { label: data.labels.value, stroke: INK, width: 2, spanGaps: false, points: { show: false } },
        Object.assign({ label: 'c4' }, hidden),
        Object.assign({ label: 'c3' }, hidden),
        Object.assign({ label: 'c2' }, hidden),
        Object.assign({ label: 'c1' }, hidden),
        Object.assign({ label: '95+' }, hidden),
        Object.assign({ label: '80+' }, hidden),
        Object.assign({ label: '80-' }, hidden),
        Object.assign({ label: '95-' }, hidden),
        { label: data.labels.forecast, stroke: FORECAST, width: 2, dash: [6, 4], points: { show: false } },
      ],
      bands: [
        { series: [2, 3], fill: LIGHT.yellow },
        { series: [3, 4], fill: LIGHT.green },
        { series: [4, 5], fill: LIGHT.light_blue },
        { series: [6, 7], fill: 'rgba(183, 28, 28, 0.12)' },
        { series: [7, 8], fill: 'rgba(183, 28, 28, 0.24)' },
        { series: [8, 9], fill: 'rgba(183, 28, 28, 0.12)' },
      ],
    };
    var chart = new uPlot(opts, plotData, el);
    window.addEventListener('resize', function () {
      chart.setSize({ width: width(el), height: 320 });
    });
  }

  function rankingChart() {
    var el = document.getElementById('ranking-chart');
    if (!el || !data.divisions.length) return;
    var names = data.divisions.map(function (d) { return d.name; });
    var xs = names.map(function (_, i) { return i; });
    var ys = data.divisions.map(function (d) { return d.value; });
    var narrow = width(el) < 520;
    var chart = new uPlot({
      width: width(el),
      height: 300,
      legend: { show: false },
      scales: { x: { time: false, range: [-0.6, names.length - 0.4] }, y: { range: function (u, min, max) { return [Math.min(0, min), max * 1.05]; } } },
      axes: [
        { stroke: INK, grid: { show: false }, rotate: narrow ? -60 : -35, size: narrow ? 72 : 60,
          splits: function () { return xs; },
          values: function (u, splits) { return splits.map(function (i) { return names[i] || ''; }); } },
        { stroke: INK, grid: { stroke: '#e3e7ee' }, size: 64,
          values: function (u, splits) { return splits.map(function (v) { return v.toLocaleString(); }); } },
      ],
      series: [
        {},
        { label: data.labels.value, fill: '#3d6fa8', stroke: '#1f3a5f', width: 1,
          paths: uPlot.paths.bars({ size: [0.7, 48] }), points: { show: false } },
      ],
    }, [xs, ys], el);
    window.addEventListener('resize', function () {
      chart.setSize({ width: width(el), height: 300 });
    });
  }

  // Five classes of equal count, light to dark.
  var SCALE = ['#eff3ff', '#bdd7e7', '#6baed6', '#3182bd', '#08519c'];

  function districtMap() {
    var el = document.getElementById('district-map');
    if (!el || !data.map || typeof L === 'undefined') return;
    var byCode = {};
    var sorted = [];
    data.divisions.forEach(function (d) {
      byCode[d.area] = d;
      sorted.push(d.value);
    });
    sorted.sort(function (a, b) { return a - b; });
    var breaks = [1, 2, 3, 4].map(function (k) {
      return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * k / 5))];
    });
    var colourOf = function (v) {
      var c = 0;
      while (c < 4 && v >= breaks[c]) c++;
      return SCALE[c];
    };
    fetch('/assets/geo/' + encodeURIComponent(data.map) + '.geojson')
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (geo) {
        if (!geo) {
          el.closest('figure').hidden = true;
          return;
        }
        var map = L.map(el, { attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.25 });
        var layer = L.geoJSON(geo, {
          style: function (feature) {
            var d = byCode[feature.properties.code];
            return { fillColor: d ? colourOf(d.value) : '#f2f2f2', fillOpacity: 0.9, color: '#ffffff', weight: 1 };
          },
          onEachFeature: function (feature, l) {
            var d = byCode[feature.properties.code];
            var text = feature.properties.name + (d ? '：' + fixed(d.value) + ' ' + data.unit : '');
            l.bindTooltip(text, { sticky: true });
          },
        }).addTo(map);
        map.fitBounds(layer.getBounds());
        legend(breaks);
      });
  }

  function legend(breaks) {
    var box = document.getElementById('map-legend');
    if (!box) return;
    var list = document.createElement('ul');
    list.className = 'legend';
    var bounds = [sortedMin()].concat(breaks);
    SCALE.forEach(function (colour, i) {
      var item = document.createElement('li');
      var swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colour;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode('≥ ' + fixed(bounds[i])));
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function sortedMin() {
    return data.divisions.reduce(function (m, d) { return Math.min(m, d.value); }, Infinity);
  }

  seriesChart();
  rankingChart();
  districtMap();
})();
