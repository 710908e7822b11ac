// The command centre: the open cases on the map (the city's streets from
// egov's own layers) and in the list, fetched again whenever the server's
// event stream says a case has moved.
(function () {
  'use strict';
  var COLOURS = { reported: '#c62828', dispatching: '#ef6c00', handling: '#1565c0', verifying: '#2e7d32' };
  function start() {
    var el = document.getElementById('centre-map');
    var body = document.querySelector('#centre-cases tbody');
    if (!el || !body) return;
    var map = typeof L === 'undefined' ? null : L.map(el, { attributionControl: false, zoomSnap: 0.5 });
    var markers = map ? L.layerGroup().addTo(map) : null;
    if (map) {
      map.setView([39.915, 116.39], 12);
      fetch(el.getAttribute('data-areas'), { headers: { Accept: 'application/geo+json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (geo) {
          if (!geo) return;
          var layer = L.geoJSON(geo, { style: { color: '#546e7a', weight: 1, fillColor: '#eceff1', fillOpacity: 0.6 } }).addTo(map);
          layer.bringToBack();
          map.fitBounds(layer.getBounds());
        });
    }
    function cell(text, late) {
      var td = document.createElement('td');
      td.textContent = text;
      if (late) td.className = 'late';
      return td;
    }
    function draw(rows) {
      body.textContent = '';
      if (markers) markers.clearLayers();
      rows.forEach(function (r) {
        var tr = document.createElement('tr');
        tr.setAttribute('data-state', r.state);
        var first = document.createElement('td');
        var a = document.createElement('a');
        a.href = r.href;
        var code = document.createElement('code');
        code.setAttribute('translate', 'no');
        code.textContent = r.number;
        a.appendChild(code);
        first.appendChild(a);
        tr.appendChild(first);
        tr.appendChild(cell(r.kind));
        tr.appendChild(cell(r.state_name));
        var place = cell(r.place);
        // Addresses are as reported, in Chinese: marked so on an English page.
        if (/[\u4e00-\u9fff]/.test(r.place) && document.documentElement.lang !== 'zh-CN') place.lang = 'zh-CN';
        tr.appendChild(place);
        tr.appendChild(cell(r.received));
        tr.appendChild(cell(r.due, r.late));
        body.appendChild(tr);
        if (markers) {
          L.circleMarker([r.lat, r.lon], { radius: 7, color: '#ffffff', weight: 2, fillColor: COLOURS[r.state] || '#455a64', fillOpacity: 0.95 })
            .bindTooltip(r.number + ' ' + r.kind + ' · ' + r.state_name)
            .addTo(markers);
        }
      });
      document.getElementById('centre-count').textContent = String(rows.length);
      document.getElementById('centre-updated').textContent = new Date().toLocaleTimeString();
    }
    function refresh() {
      fetch(el.getAttribute('data-cases'), { headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (rows) { if (rows) draw(rows); });
    }
    var events = new EventSource(el.getAttribute('data-events'));
    events.addEventListener('changed', refresh);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
