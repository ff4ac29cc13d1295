// Converts Natural Earth's 1:110m land outlines (public domain; world-atlas 2.0.2 redistributes them as TopoJSON,
// ISC) into the light SVG the status page draws resolvers on. Run once when the map should change:
//   cd deploy/tools/world-map && npm ci && npm run build
// The projection must stay the one status.js uses for markers: equirectangular, 1000 units for 360 degrees of
// longitude, latitudes 84 N to 60 S (Antarctica has no resolver and would take a third of the height).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { feature } from "topojson-client";

const require = createRequire(import.meta.url);
const land = JSON.parse(readFileSync(require.resolve("world-atlas/land-110m.json"), "utf8"));
const WIDTH = 1000, NORTH = 84, SOUTH = -60, K = WIDTH / 360, HEIGHT = Math.round((NORTH - SOUTH) * K);
const x = (lon) => (lon + 180) * K;
const y = (lat) => (NORTH - Math.min(NORTH, Math.max(SOUTH, lat))) * K;
const MIN_STEP = 1.2; // map units: closer points add bytes, not shape, at the size the page draws the map

let d = "";
const geometry = feature(land, land.objects.land).features[0].geometry;
for (const polygon of geometry.coordinates) {
  for (const ring of polygon) {
    if (ring.every(([, lat]) => lat < SOUTH)) continue;
    let last = null, part = "", points = 0;
    for (const [lon, lat] of ring) {
      const p = [x(lon), y(lat)];
      // A ring crossing the antimeridian would be drawn across the whole map: start a new piece instead.
      const jump = last && Math.abs(p[0] - last[0]) > WIDTH / 2;
      if (last && !jump && Math.hypot(p[0] - last[0], p[1] - last[1]) < MIN_STEP) continue;
      part += `${last === null || jump ? "M" : "L"}${p[0].toFixed(1)} ${p[1].toFixed(1)}`;
      last = p;
      points++;
    }
    if (points >= 3) d += part + "Z";
  }
}
d = d.replace(/\.0(?=[ MLZ])/g, "");

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">` +
  `<!-- Land outlines: Natural Earth 1:110m (public domain, naturalearthdata.com) via world-atlas 2.0.2; made by deploy/tools/world-map/make-world-map.mjs -->` +
  `<path fill="#dfe4ea" stroke="#b6bfc9" stroke-width="0.6" d="${d}"/></svg>\n`;
writeFileSync(process.argv[2], svg);
console.log(`${process.argv[2]}: ${svg.length} bytes, ${WIDTH}x${HEIGHT}`);
