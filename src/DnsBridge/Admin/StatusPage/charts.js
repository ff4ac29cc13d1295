"use strict";
// Charts drawn as SVG here (no library, no CDN): residual per bucket as bars, the propagation share as a step line,
// both with a time axis (UTC) and a value axis, and the world map of resolvers. Each SVG has a text alternative.
window.DnsBridgeCharts = (() => {
  const { esc, time } = window.DnsBridge;
  const W = 760, H = 220, L = 56, R = 16, T = 22, B = 40;
  const PW = W - L - R, PH = H - T - B;

  // 1, 2 or 5 times a power of ten, so the value axis reads in round numbers.
  function niceMax(max) {
    if (max <= 4) return 4;
    const p = 10 ** Math.floor(Math.log10(max / 4));
    const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s * 4 >= max);
    return step * 4;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function timeLabel(ms, spanMs) {
    const d = new Date(ms);
    const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    return spanMs > 2 * 86400000 ? `${d.toUTCString().slice(0, 3)} ${d.getUTCDate()} ${hm}` : hm;
  }

  function timeAxis(from, to) {
    const span = to - from;
    const step = span <= 3600000 ? 600000 : span <= 86400000 ? 3 * 3600000 : 86400000;
    const x = (t) => L + ((t - from) / span) * PW;
    let ticks = "";
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
      ticks += `<line class="grid" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${T}" y2="${T + PH}"/>` +
        `<text class="tick" x="${x(t).toFixed(1)}" y="${T + PH + 16}" text-anchor="middle">${esc(timeLabel(t, span))}</text>`;
    }
    return `<g class="axis x-axis">${ticks}<line class="axis-line" x1="${L}" x2="${L + PW}" y1="${T + PH}" y2="${T + PH}"/>` +
      `<text class="axis-title" x="${L + PW / 2}" y="${H - 4}" text-anchor="middle">time (UTC)</text></g>`;
  }

  function valueAxis(max, format, title) {
    let ticks = "";
    for (let i = 0; i <= 4; i++) {
      const v = (max / 4) * i, y = T + PH - (v / max) * PH;
      ticks += `<line class="grid" x1="${L}" x2="${L + PW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>` +
        `<text class="tick" x="${L - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(format(v))}</text>`;
    }
    return `<g class="axis y-axis">${ticks}<line class="axis-line" x1="${L}" x2="${L}" y1="${T}" y2="${T + PH}"/>` +
      `<text class="axis-title" x="${L}" y="${T - 8}">${esc(title)}</text></g>`;
  }

  // A dashed line at a moment of the cutover, labelled; the second label sits lower so two close moments stay legible.
  function marker(at, from, to, label, cls, row) {
    const t = new Date(at).getTime();
    if (!at || t < from || t > to) return "";
    const x = L + ((t - from) / (to - from)) * PW, right = x > L + PW * 0.7;
    return `<g class="moment ${cls}"><line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${T}" y2="${T + PH}"/>` +
      `<text x="${x.toFixed(1)}" y="${T + 12 + row * 14}" text-anchor="${right ? "end" : "start"}" dx="${right ? -4 : 4}">${esc(label)}</text></g>`;
  }

  const per = (minutes) => minutes === 1 ? "minute" : minutes === 60 ? "hour" : `${minutes} min`;

  function residual(series) {
    const from = new Date(series.from).getTime(), to = new Date(series.to).getTime();
    const bucketMs = series.bucketMinutes * 60000;
    const peak = Math.max(0, ...series.points.map((p) => p.count));
    const max = niceMax(peak);
    const bw = (bucketMs / (to - from)) * PW;
    const bars = series.points.map((p) => {
      const t = new Date(p.at).getTime();
      const x = Math.max(L, L + ((t - from) / (to - from)) * PW), h = (p.count / max) * PH;
      return p.count === 0 ? "" : `<rect x="${x.toFixed(1)}" y="${(T + PH - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}">` +
        `<title>${esc(time(p.at))}: ${p.count}</title></rect>`;
    }).join("");
    const title = `residual requests and connections per ${per(series.bucketMinutes)}`;
    const label = `Residual requests and connections per ${per(series.bucketMinutes)} over the last ${series.range}: ${series.total} in total, at most ${peak} in one ${per(series.bucketMinutes)}.`;
    return `<svg class="chart residual-chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}" data-points="${series.points.length}" data-total="${series.total}">` +
      `${valueAxis(max, (v) => String(Math.round(v)), title)}${timeAxis(from, to)}<g class="bars">${bars}</g></svg>`;
  }

  function share(series) {
    const from = new Date(series.from).getTime(), to = new Date(series.to).getTime();
    const x = (t) => L + ((Math.max(from, t) - from) / (to - from)) * PW;
    const y = (r) => T + PH - r * PH;
    let d = "", lastY = null;
    for (const p of series.points) {
      const px = x(new Date(p.at).getTime()).toFixed(1), py = y(p.ratio).toFixed(1);
      d += lastY === null ? `M${px} ${py}` : `H${px}V${py}`;
      lastY = py;
    }
    if (lastY !== null) d += `H${L + PW}`;
    const last = series.points.at(-1);
    const label = series.points.length === 0
      ? `Propagation share over the last ${series.range}: no answer recorded.`
      : `Propagation share over the last ${series.range}: now ${Math.round(last.ratio * 100)} % (${last.target} of ${last.answering} answering resolvers on the target)` +
        `${series.dnsSwitchedAt ? `; DNS switched ${time(series.dnsSwitchedAt)}` : ""}${series.propagationCompleteAt ? `; propagation complete ${time(series.propagationCompleteAt)}` : ""}.`;
    return `<svg class="chart share-chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}" data-points="${series.points.length}">` +
      `${valueAxis(1, (v) => `${Math.round(v * 100)} %`, "resolvers answering the target")}${timeAxis(from, to)}` +
      `${d ? `<path class="share" d="${d}"/>` : ""}` +
      `${marker(series.dnsSwitchedAt, from, to, "DNS switched", "switched", 0)}${marker(series.propagationCompleteAt, from, to, "propagation complete", "complete", 1)}</svg>`;
  }

  // Must match deploy/tools/world-map/make-world-map.mjs: equirectangular, 1000 units wide, 84 N to 60 S.
  const MAP_W = 1000, MAP_H = 400, NORTH = 84, K = MAP_W / 360;
  const LETTER = { target: "T", source: "S", mixed: "M", other: "O", error: "E" };

  function map(all) {
    // Authoritative servers are the zone's, not caches around the world: they stay in the table below.
    const resolvers = all.filter((r) => !r.authoritative);
    const placed = resolvers.filter((r) => r.location);
    const taken = {};
    const markers = placed.map((r) => {
      let x = (r.location.longitude + 180) * K, y = (NORTH - r.location.latitude) * K;
      // Resolvers in one city (an operator's two addresses) are set side by side, not on top of each other.
      const key = `${Math.round(x / 14)}:${Math.round(y / 14)}`;
      const n = taken[key] = (taken[key] ?? -1) + 1;
      if (n > 0) {
        const a = n * 2.4;
        x += Math.cos(a) * 15 * Math.ceil(n / 6);
        y += Math.sin(a) * 15 * Math.ceil(n / 6);
      }
      const letter = LETTER[r.answer] ?? "?";
      return `<g class="marker answer-${esc(r.answer)}" data-resolver="${esc(r.name)}" data-answer="${esc(r.answer)}" transform="translate(${x.toFixed(1)} ${y.toFixed(1)})">` +
        `<title>${esc(r.name)} (${esc(r.location.city)}): ${esc(r.answer)}</title><circle r="8"/><text y="4" text-anchor="middle">${letter}</text></g>`;
    }).join("");
    const count = (a) => resolvers.filter((r) => r.answer === a).length;
    const legend = Object.entries(LETTER).map(([a, l]) =>
      `<li><span class="key answer-bg-${a}" aria-hidden="true">${l}</span> ${a}: ${count(a)}</li>`).join("");
    const unplaced = resolvers.filter((r) => !r.location);
    const summary = Object.keys(LETTER).map((a) => `${count(a)} ${a}`).join(", ");
    return `<figure class="map">
      <svg class="world" viewBox="0 0 ${MAP_W} ${MAP_H}" role="img" aria-label="World map of ${placed.length} resolvers by answer: ${esc(summary)}">
        <image href="/world.svg" width="${MAP_W}" height="${MAP_H}"/>${markers}</svg>
      <figcaption><ul class="legend">${legend}</ul>
        ${unplaced.length ? `<p class="unplaced">Not on the map (no location): ${unplaced.map((r) => `${esc(r.name)} (${esc(r.answer)})`).join(", ")}.</p>` : ""}
        <p class="note">Anycast services answer from many places; each is drawn at its operator's documented location.</p></figcaption>
    </figure>`;
  }

  return { residual, share, map };
})();
