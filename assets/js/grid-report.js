// The report page's map: the city's streets drawn from the grid's own
// layers (no tiles from elsewhere); a tap puts the marker and fills the
// latitude and longitude fields, which stay usable without the map.
(function () {
  'use strict';
  function start() {
    var el = document.getElementById('report-map');
    if (!el || typeof L === 'undefined') return;
    var lat = document.getElementById('lat');
    var lon = document.getElementById('long');
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.5 });
    map.setView([39.915, 116.39], 12);
    var marker = null;
    function place(latlng, pan) {
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.circleMarker(latlng, { radius: 9, color: '#b71c1c', weight: 3, fillColor: '#ffd54f', fillOpacity: 0.9 });
        marker.bindTooltip(el.getAttribute('data-marker-label') || '');
        marker.addTo(map);
      }
      if (pan) map.setView(latlng, Math.max(map.getZoom(), 16));
    }
    function fill(latlng) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      offerNearby(latlng);
    }
    // The open cases of the same kind near the point: the resident may
    // follow one instead of reporting it again.
    var nearby = document.getElementById('nearby');
    var csrf = document.querySelector('#report-form input[name="csrf"]');
    function offerNearby(latlng) {
      if (!nearby || !csrf) return;
      var q = new URLSearchParams({
        service_code: nearby.getAttribute('data-service'),
        status: 'open',
        lat: latlng.lat.toFixed(6),
        long: latlng.lng.toFixed(6),
      });
      fetch('/open311/v2/requests.json?' + q.toString())
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) {
          var list = document.getElementById('nearby-list');
          var forms = document.getElementById('nearby-forms');
          list.textContent = '';
          forms.textContent = '';
          found.slice(0, 5).forEach(function (r) {
            var li = document.createElement('li');
            var p = document.createElement('p');
            p.textContent = r.service_request_id + ' · ' + r.status_notes + ' · ' + (r.address || '') + ' ' + r.description;
            // Forms cannot nest: each follow form lives outside the report
            // form, and its button names it.
            var form = document.createElement('form');
            form.id = 'follow-' + r.service_request_id;
            form.method = 'post';
            form.action = '/grid/reports/' + encodeURIComponent(r.service_request_id) + '/follow';
            var token = document.createElement('input');
            token.type = 'hidden';
            token.name = 'csrf';
            token.value = csrf.value;
            var button = document.createElement('button');
            button.type = 'submit';
            button.className = 'secondary';
            button.textContent = nearby.getAttribute('data-follow-label') + ' ' + r.service_request_id;
            button.setAttribute('form', form.id);
            form.appendChild(token);
            forms.appendChild(form);
            li.appendChild(p);
            li.appendChild(button);
            list.appendChild(li);
          });
          nearby.hidden = found.length === 0;
        });
    }
    function fromFields() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (isFinite(a) && isFinite(b)) {
        place(L.latLng(a, b), true);
        offerNearby(L.latLng(a, b));
      }
    }
    map.on('click', function (e) {
      place(e.latlng, false);
      fill(e.latlng);
    });
    lat.addEventListener('change', fromFields);
    lon.addEventListener('change', fromFields);
    fetch(el.getAttribute('data-areas'), { headers: { Accept: 'application/geo+json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (geo) {
        if (!geo) return;
        var layer = L.geoJSON(geo, {
          style: { color: '#546e7a', weight: 1, fillColor: '#eceff1', fillOpacity: 0.6 },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); }
        }).addTo(map);
        if (!lat.value) map.fitBounds(layer.getBounds());
        fromFields();
      });
    var locate = document.getElementById('locate');
    if (navigator.geolocation && locate) {
      locate.hidden = false;
      locate.addEventListener('click', function () {
        navigator.geolocation.getCurrentPosition(function (p) {
          var latlng = L.latLng(p.coords.latitude, p.coords.longitude);
          place(latlng, true);
          fill(latlng);
        });
      });
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
