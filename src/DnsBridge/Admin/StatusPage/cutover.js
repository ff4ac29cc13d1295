"use strict";
// One cutover's page (/cutovers/{name}): drain state and clocks, charts from the stored history, the resolvers on a
// world map and by region, stale clients, pending alerts, events. The live part refreshes every 5 seconds; the charts
// every 30 seconds and when another range is chosen.
(() => {
  const { api, esc, time, ago, duration } = window.DnsBridge;
  const charts = window.DnsBridgeCharts;
  const name = decodeURIComponent(location.pathname.replace(/^\/cutovers\//, "").replace(/\/$/, ""));
  const base = `/api/cutovers/${encodeURIComponent(name)}`;
  const main = document.getElementById("cutover");
  const refreshed = document.getElementById("refreshed");
  document.title = `DnsBridge: ${name}`;
  document.getElementById("api-link").href = base;
  document.getElementById("api-link").textContent = base;
  const fact = (label, value) => `<div class="fact"><dt>${esc(label)}</dt><dd>${value}</dd></div>`;

  main.innerHTML = `<section class="cutover" aria-labelledby="cutover-name">
      <div id="summary"><h2 id="cutover-name">${esc(name)}</h2></div>
      <section class="charts" aria-labelledby="h-charts">
        <h3 id="h-charts">History</h3>
        <div class="ranges" role="group" aria-label="Chart range">
          <button type="button" data-range="1h" aria-pressed="true">1 h</button>
          <button type="button" data-range="24h" aria-pressed="false">24 h</button>
          <button type="button" data-range="7d" aria-pressed="false">7 d</button>
        </div>
        <div class="chart-pair">
          <div><h4>Residual requests and connections</h4><div id="residual-chart"><p class="empty">Loading&hellip;</p></div></div>
          <div><h4>Propagation share</h4><div id="share-chart"><p class="empty">Loading&hellip;</p></div></div>
        </div>
      </section>
      <section aria-labelledby="h-map">
        <h3 id="h-map">Resolvers on the map</h3>
        <div id="map"><p class="empty">Loading&hellip;</p></div>
      </section>
      <div id="details"></div>
    </section>`;

  function resolvers(p) {
    if (!p) return '<p class="empty">No propagation data (the monitor is off on this replica, or has not polled yet).</p>';
    const byRegion = {};
    for (const r of p.resolvers) (byRegion[r.region] ??= []).push(r);
    const rows = Object.keys(byRegion).sort().map((region) =>
      `<tr class="region"><th colspan="8" scope="rowgroup">${esc(region)}</th></tr>` +
      byRegion[region].map((r) => `<tr><th scope="row">${esc(r.name)}<br><small>${esc(r.resolver)}${r.location ? `, ${esc(r.location.city)}` : ""}${r.soaSerial != null ? `, SOA serial ${esc(r.soaSerial)}` : ""}</small></th>` +
        `<td class="answer-${esc(r.answer)}">${esc(r.answer)}${r.detail ? `<br><small>${esc(r.detail)}</small>` : ""}${r.error ? `<br><small>${esc(r.error)}</small>` : ""}</td>` +
        `<td>${esc([...(r.cnames || []).map((c) => c + " →"), ...r.addresses].join(" "))}</td><td>${r.ttl ?? "–"}</td>` +
        `<td>${esc(r.pop ?? "–")}</td><td>${esc(r.vantage ?? "local")}</td>` +
        `<td>${r.clientSubnet ? `${esc(r.clientSubnet)}${r.subnetScope != null ? ` <small>scope /${esc(r.subnetScope)}</small>` : ""}` : r.ignoresClientSubnet ? "<small>ignores ECS</small>" : "–"}</td>` +
        `<td>${esc(ago(r.checkedAt))}</td></tr>`).join("")).join("");
    return `<table><caption>Resolvers by region</caption><thead><tr><th scope="col">resolver</th><th scope="col">answer</th><th scope="col">addresses</th><th scope="col">TTL</th><th scope="col">pop</th><th scope="col">vantage</th><th scope="col">subnet</th><th scope="col">checked</th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  function top(title, rows, key, count = "requests") {
    if (!rows || rows.length === 0) return `<p class="empty">${esc(title)}: none.</p>`;
    return `<table><caption>${esc(title)}</caption><thead><tr><th scope="col">${key === "client" ? "client" : "user agent"}</th><th scope="col">${count}</th><th scope="col">last seen</th></tr></thead><tbody>` +
      rows.map((r) => `<tr><td>${esc(r[key])}</td><td>${r.error ? `${r[count] - r.error}–${r[count]}` : r[count]}</td><td>${esc(ago(r.lastSeen))}</td></tr>`).join("") + "</tbody></table>";
  }

  // Alerts the outbox still holds: retried until delivered (or Alerts:GiveUpAfter), so a receiver that is down shows here.
  function pendingAlerts(rows) {
    if (!rows || rows.length === 0) return '<p class="empty">Pending alerts: none.</p>';
    return `<table class="pending-alerts"><caption>Pending alerts</caption><thead><tr><th scope="col">event</th><th scope="col">receiver</th><th scope="col">attempts</th>` +
      `<th scope="col">last error</th><th scope="col">pending since</th><th scope="col">next try</th></tr></thead><tbody>` +
      rows.map((a) => `<tr><td>${esc(a.event)}</td><td>${esc(a.receiver)}${a.webhook ? `<br><small>${esc(a.webhook)}</small>` : ""}</td><td>${a.attempts}</td>` +
        `<td>${esc(a.lastError ?? "–")}</td><td><time datetime="${esc(a.since)}">${esc(time(a.since))}</time> <small>(${esc(ago(a.since))})</small></td>` +
        `<td>${a.failed ? '<span class="error">failed: not retried</span>' : esc(time(a.nextAttemptAt))}</td></tr>`).join("") + "</tbody></table>";
  }

  // The checklist asks the target and DNS for real (seconds), so it runs at load and every 10 minutes, not on every refresh.
  const preflight = { at: 0 };
  const PREFLIGHT_EVERY_MS = 10 * 60 * 1000;

  async function runPreflight() {
    if (preflight.running || Date.now() - preflight.at < PREFLIGHT_EVERY_MS) return;
    preflight.running = true;
    try {
      preflight.report = await api(`${base}/preflight`);
      preflight.error = null;
    } catch (e) {
      preflight.error = e.message;
    } finally {
      preflight.at = Date.now();
      preflight.running = false;
    }
  }

  function checklist() {
    if (!preflight.report && !preflight.error) return '<p class="empty">Preflight checklist: running&hellip;</p>';
    if (preflight.error) return `<p class="error">Preflight checklist unavailable (${esc(preflight.error)}).</p>`;
    const r = preflight.report;
    const rows = r.results.map((x) => `<tr><td class="check-${esc(x.status.toLowerCase())}">${esc(x.status.toUpperCase())}</td>` +
      `<th scope="row">${esc(x.area)}: ${esc(x.check)}</th><td>${esc(x.subject)}</td><td>${esc(x.found)}${x.action ? `<br><small>&rarr; ${esc(x.action)}</small>` : ""}</td></tr>`).join("");
    return `<details class="preflight"${r.fail > 0 ? " open" : ""}><summary>Preflight checklist: ${r.pass} pass, ${r.warn} warn, ${r.fail} fail <small>(${esc(time(r.at))})</small></summary>` +
      `<table><caption>Preflight checklist</caption><thead><tr><th scope="col">status</th><th scope="col">check</th><th scope="col">subject</th><th scope="col">found</th></tr></thead><tbody>${rows}</tbody></table></details>`;
  }

  // A cutover that also moves DNS provider: what the old provider's servers say, and until when resolvers holding the
  // old delegation may still ask them.
  function delegation(g) {
    if (!g) return "";
    const stale = g.previousAnswersSource;
    const rows = (g.previous || []).map((s) => `<tr><td>${esc(s.name)}</td><td>${esc(s.server)}</td><td class="answer-${esc(s.answer)}">${esc(s.answer)}</td><td>${esc((s.addresses || []).concat(s.cnames || []).join(", ") || s.error || s.detail || "")}</td></tr>`).join("");
    return `<div class="delegation${stale ? " warning" : ""}"${stale ? ' role="alert"' : ""}><h3>Delegation (DNS provider move)</h3>
      <p>Resolvers that cached the old delegation may ask the previous servers until <strong>${esc(g.oldDelegationCachedUntil ? time(g.oldDelegationCachedUntil) : "the switch + the parent's NS TTL")}</strong>
        (parent ${esc(g.parentZone ?? "?")} NS TTL ${esc(g.parentNsTtl ?? "unknown, 172800 s assumed")}${g.parentNsTtl ? " s" : ""}).
        ${stale ? "A previous server still answers the <strong>source</strong>: update the record at the old provider too, or keep its zone until then." : ""}</p>
      <dl class="facts">
        ${fact("Parent NS set", esc((g.parentNameServers || []).join(", ") || g.parentError || "–"))}
        ${fact("Current NS set", esc((g.currentNameServers || []).join(", ") || "–"))}
        ${fact(`Previous NS set (${g.previousFrom})`, esc((g.previousNameServers || []).join(", ")))}
        ${g.nsSetsDiffer ? fact("Parent and zone", "<strong>name different servers</strong>") : ""}
      </dl>
      <table><thead><tr><th scope="col">Previous server</th><th scope="col">Address</th><th scope="col">Answer</th><th scope="col">Records</th></tr></thead><tbody>${rows}</tbody></table>
    </div>`;
  }

  function summary(c) {
    const d = c.drain, p = c.propagation, r = c.residual;
    const ratio = p ? Math.round(p.ratio * 100) : 0;
    return `<h2 id="cutover-name">${esc(c.name)} <span class="badge state-${esc(d.state)}">${esc(d.state)}</span> <small>since ${esc(time(d.since))}</small></h2>
      <p class="hosts">${esc(c.hosts.join(", "))} → ${esc(c.target.scheme)}://${esc(c.target.address)}:${c.target.port}</p>
      <dl class="facts">
        ${c.phaseDetail ? fact("Phase", `<strong>${esc(c.phase)}</strong>${c.phaseDetail.held ? ` (${c.phaseDetail.held} held)` : ""}; source backend ${esc(c.phaseDetail.sourceBackend.scheme)}://${esc(c.phaseDetail.sourceBackend.address)}:${c.phaseDetail.sourceBackend.port}`) : ""}
        ${fact("Propagation", `${p ? ratio + " %" : "–"}<div class="progress" role="progressbar" aria-label="propagation" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${ratio}"><span style="width:${ratio}%"></span></div>`)}
        ${fact("Stale caches expire in", p ? esc(duration(p.etaSeconds)) : "–")}
        ${fact("Authoritative answer", esc(p?.authoritativeUnreachable ? "no answer (resolvers decide)" : p?.authoritative ?? "not asked"))}
        ${fact("Residual now", r ? `${r.perMinute1m} /min (15 min: ${r.perMinute15m}, 1 h: ${r.perMinute1h})` : "–")}
        ${fact("Requests / connections", r ? `${r.requests} / ${r.connections}` : "–")}
        ${fact("Last residual request", r ? esc(ago(r.lastRequestAt)) : "–")}
        ${fact("Distinct clients (1 h)", r ? (r.distinctClientsEstimated ? `≈ ${r.distinctClients1h}` : r.distinctClients1h) : "–")}
        ${fact("Quiet period", d.quietSince ? `until ${esc(time(d.quietEndsAt))}` : esc(duration(d.quietPeriodSeconds)))}
        ${fact("Pending alerts", (c.pendingAlerts || []).length)}
      </dl>
      ${p?.authoritativeDisagreement ? `<p class="warning" role="alert"><strong>Authoritative servers disagree:</strong> ${esc(p.authoritativeDisagreement)}. Until every server has the new zone (check NOTIFY and zone transfers), resolvers keep getting either answer.</p>` : ""}
      ${p?.authoritativeUnreachable ? `<p class="warning" role="alert"><strong>Authoritative servers do not answer:</strong> ${esc((p.authoritativeUnreachableServers || []).map((s) => `${s.resolver} (${s.error})`).join(", "))}. The switch and propagation are judged on the resolvers alone; check that this machine may send DNS to them (a firewall that lets DNS out only to the site's own resolvers).</p>` : ""}
      ${delegation(p?.delegation)}
      ${checklist()}`;
  }

  // Target readiness (rehearsal): the mirrored comparison per path group, from /readiness (in memory, cheap).
  function readiness(r, c) {
    if (!r || (r.copies === 0 && r.dropped === 0)) {
      return c.phaseDetail ? '<p class="empty">Target readiness: nothing mirrored yet (Mirror.Share, rehearsal only).</p>' : "";
    }
    const pct = (x) => x == null ? "–" : `${Math.round(x * 1000) / 10} %`;
    const ms = (x) => x == null ? "–" : `${x}`;
    const rows = r.groups.map((g) => {
      const diffs = (g.statusMismatches || []).map((p) => `status ${p.source} → ${p.target} ×${p.copies}`)
        .concat((g.differingFields || []).slice(0, 5).map((f) => `${f.field} ×${f.copies}`));
      return `<tr><th scope="row">${esc(g.group)}</th><td>${g.copies}</td><td>${pct(g.statusMatchRatio)}</td><td>${g.bodyMatches}/${g.bodiesCompared}</td>` +
        `<td>${g.targetErrors}</td><td>${ms(g.sourceP99Ms)} / ${ms(g.targetP99Ms)}</td><td>${esc(diffs.join("; ") || "–")}</td></tr>`;
    }).join("");
    return `<table class="readiness"><caption>Target readiness: ${r.copies} copies, status match ${pct(r.statusMatchRatio)}, ${r.bodyMismatches} body mismatch(es), ${r.targetErrors} target error(s), ${r.dropped} dropped</caption>` +
      `<thead><tr><th scope="col">path group</th><th scope="col">copies</th><th scope="col">status match</th><th scope="col">body match</th><th scope="col">target errors</th><th scope="col">p99 source / target (ms)</th><th scope="col">differences</th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  function details(c) {
    const events = (c.events || []).slice(-10).reverse();
    return `<div class="grid2">
        <div>${resolvers(c.propagation)}</div>
        <div>
          ${readiness(lastReadiness, c)}
          ${top("Top stale clients", c.residual?.topClients, "client")}
          ${c.residual?.connections ? top("Top stale clients by connections", c.residual.topClientsByConnections, "client", "connections") : ""}
          <p><a href="${esc(base)}/clients.csv">All stale clients (CSV)</a> &middot; <a href="${esc(base)}/report">Report</a></p>
          ${top("Top user agents", c.residual?.topUserAgents, "userAgent")}
          ${pendingAlerts(c.pendingAlerts)}
          <h3>Recent events</h3>
          ${events.length ? `<ol class="events">${events.map((e) => `<li><time datetime="${esc(e.at)}">${esc(time(e.at))}</time>${esc(e.text)}</li>`).join("")}</ol>` : '<p class="empty">No event yet.</p>'}
        </div>
      </div>`;
  }

  let range = "1h";
  const rangeButtons = [...main.querySelectorAll(".ranges button")];
  for (const button of rangeButtons) {
    button.addEventListener("click", () => {
      range = button.dataset.range;
      for (const b of rangeButtons) b.setAttribute("aria-pressed", String(b === button));
      loadHistory();
    });
  }

  let histories = 0;
  async function loadHistory() {
    const asked = range;
    try {
      const [residual, share] = await Promise.all([api(`${base}/residual?range=${asked}`), api(`${base}/propagation?range=${asked}`)]);
      if (asked !== range) return;
      document.getElementById("residual-chart").innerHTML = charts.residual(residual);
      document.getElementById("share-chart").innerHTML = charts.share(share);
      main.dataset.histories = String(++histories);
      main.dataset.range = asked;
    } catch (e) {
      document.getElementById("residual-chart").innerHTML = `<p class="error">History unavailable (${esc(e.message)}).</p>`;
    }
  }

  let refreshes = 0, last = null, lastReadiness = null;
  const draw = () => {
    document.getElementById("summary").innerHTML = summary(last);
    document.getElementById("map").innerHTML = last.propagation ? charts.map(last.propagation.resolvers) : '<p class="empty">No propagation data yet.</p>';
    document.getElementById("details").innerHTML = details(last);
  };

  async function refresh() {
    const cluster = window.DnsBridge.cluster(document.getElementById("cluster"));
    try {
      [last, lastReadiness] = await Promise.all([api(base), api(`${base}/readiness`).catch(() => null)]);
      draw();
      refreshed.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC`;
      main.setAttribute("aria-busy", "false");
      main.dataset.refreshes = String(++refreshes);
      runPreflight().then(() => { if (last) draw(); });
    } catch (e) {
      refreshed.innerHTML = `<span class="error">${e.message === "HTTP 404" ? `No cutover named ${esc(name)}.` : `Cannot reach the API (${esc(e.message)}); retrying.`}</span> <a href="/">Wave overview</a>`;
    }
    await cluster;
  }

  window.DnsBridge.every(5000, refresh);
  window.DnsBridge.every(30000, loadHistory);
})();
