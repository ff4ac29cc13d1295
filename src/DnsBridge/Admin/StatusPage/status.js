"use strict";
(() => {
  const main = document.getElementById("cutovers");
  // With Listen:AdminToken the page is opened as /#token=...: the fragment never reaches a server or a log, and
  // is removed from the address bar once kept for this tab.
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("dnsbridge-token", fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = sessionStorage.getItem("dnsbridge-token");
  const api = (url) => fetch(url, { cache: "no-store", headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const refreshed = document.getElementById("refreshed");
  const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const time = (v) => v ? new Date(v).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "–";
  const ago = (v) => {
    if (!v) return "never";
    const s = Math.max(0, Math.round((Date.now() - new Date(v).getTime()) / 1000));
    return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
  };
  const duration = (s) => s == null ? "–" : s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
  const fact = (label, value) => `<div class="fact"><dt>${esc(label)}</dt><dd>${value}</dd></div>`;

  function chart(series) {
    if (!series || series.length === 0) return '<p class="empty">No residual traffic recorded.</p>';
    const max = Math.max(1, ...series.map((p) => p.count));
    const w = 600, h = 90, bw = w / series.length;
    const bars = series.map((p, i) => {
      const bh = Math.round((p.count / max) * (h - 4));
      return `<rect x="${(i * bw).toFixed(1)}" y="${h - bh}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh}"><title>${esc(time(p.minute))}: ${p.count}</title></rect>`;
    }).join("");
    const total = series.reduce((a, p) => a + p.count, 0);
    return `<svg class="chart" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img" aria-label="Residual requests per minute over the last hour: ${total} in total, at most ${max} in one minute">${bars}</svg>`;
  }

  function resolvers(p) {
    if (!p) return '<p class="empty">No propagation data (the monitor is off on this replica, or has not polled yet).</p>';
    const byRegion = {};
    for (const r of p.resolvers) (byRegion[r.region] ??= []).push(r);
    const rows = Object.keys(byRegion).sort().map((region) =>
      `<tr class="region"><th colspan="8" scope="rowgroup">${esc(region)}</th></tr>` +
      byRegion[region].map((r) => `<tr><th scope="row">${esc(r.name)}<br><small>${esc(r.resolver)}${r.soaSerial != null ? `, SOA serial ${esc(r.soaSerial)}` : ""}</small></th>` +
        `<td class="answer-${esc(r.answer)}">${esc(r.answer)}${r.detail ? `<br><small>${esc(r.detail)}</small>` : ""}${r.error ? `<br><small>${esc(r.error)}</small>` : ""}</td>` +
        `<td>${esc([...(r.cnames || []).map((c) => c + " →"), ...r.addresses].join(" "))}</td><td>${r.ttl ?? "–"}</td>` +
        `<td>${esc(r.pop ?? "–")}</td><td>${esc(r.vantage ?? "local")}</td>` +
        `<td>${r.clientSubnet ? `${esc(r.clientSubnet)}${r.subnetScope != null ? ` <small>scope /${esc(r.subnetScope)}</small>` : ""}` : r.ignoresClientSubnet ? "<small>ignores ECS</small>" : "–"}</td>` +
        `<td>${esc(ago(r.checkedAt))}</td></tr>`).join("")).join("");
    return `<table><caption>Resolvers by region</caption><thead><tr><th scope="col">resolver</th><th scope="col">answer</th><th scope="col">addresses</th><th scope="col">TTL</th><th scope="col">pop</th><th scope="col">vantage</th><th scope="col">subnet</th><th scope="col">checked</th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  function top(title, rows, key) {
    if (!rows || rows.length === 0) return `<p class="empty">${esc(title)}: none.</p>`;
    return `<table><caption>${esc(title)}</caption><thead><tr><th scope="col">${key === "client" ? "client" : "user agent"}</th><th scope="col">requests</th><th scope="col">last seen</th></tr></thead><tbody>` +
      rows.map((r) => `<tr><td>${esc(r[key])}</td><td>${r.error ? `${r.requests - r.error}–${r.requests}` : r.requests}</td><td>${esc(ago(r.lastSeen))}</td></tr>`).join("") + "</tbody></table>";
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
  const preflights = {};
  const PREFLIGHT_EVERY_MS = 10 * 60 * 1000;

  async function preflight(name) {
    const entry = preflights[name] ??= { at: 0 };
    if (entry.running || Date.now() - entry.at < PREFLIGHT_EVERY_MS) return;
    entry.running = true;
    try {
      const response = await api(`/api/cutovers/${encodeURIComponent(name)}/preflight`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      entry.report = await response.json();
      entry.error = null;
    } catch (e) {
      entry.error = e.message;
    } finally {
      entry.at = Date.now();
      entry.running = false;
    }
  }

  function checklist(name) {
    const entry = preflights[name];
    if (!entry || (!entry.report && !entry.error)) return '<p class="empty">Preflight checklist: running&hellip;</p>';
    if (entry.error) return `<p class="error">Preflight checklist unavailable (${esc(entry.error)}).</p>`;
    const r = entry.report;
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
      <table><thead><tr><th>Previous server</th><th>Address</th><th>Answer</th><th>Records</th></tr></thead><tbody>${rows}</tbody></table>
    </div>`;
  }

  function render(c) {
    const d = c.drain, p = c.propagation, r = c.residual;
    const ratio = p ? Math.round(p.ratio * 100) : 0;
    const events = (c.events || []).slice(-10).reverse();
    return `<section class="cutover" aria-labelledby="h-${esc(c.name)}">
      <h2 id="h-${esc(c.name)}">${esc(c.name)} <span class="badge state-${esc(d.state)}">${esc(d.state)}</span> <small>since ${esc(time(d.since))}</small></h2>
      <p class="hosts">${esc(c.hosts.join(", "))} → ${esc(c.target.scheme)}://${esc(c.target.address)}:${c.target.port}</p>
      <dl class="facts">
        ${fact("Propagation", `${p ? ratio + " %" : "–"}<div class="progress" role="progressbar" aria-label="propagation" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${ratio}"><span style="width:${ratio}%"></span></div>`)}
        ${fact("Stale caches expire in", p ? esc(duration(p.etaSeconds)) : "–")}
        ${fact("Authoritative answer", esc(p?.authoritativeUnreachable ? "no answer (resolvers decide)" : p?.authoritative ?? "not asked"))}
        ${fact("Residual now", r ? `${r.perMinute1m} /min (15 min: ${r.perMinute15m}, 1 h: ${r.perMinute1h})` : "–")}
        ${fact("Last residual request", r ? esc(ago(r.lastRequestAt)) : "–")}
        ${fact("Distinct clients (1 h)", r ? (r.distinctClientsEstimated ? `≈ ${r.distinctClients1h}` : r.distinctClients1h) : "–")}
        ${fact("Quiet period", d.quietSince ? `until ${esc(time(d.quietEndsAt))}` : esc(duration(d.quietPeriodSeconds)))}
        ${fact("Pending alerts", (c.pendingAlerts || []).length)}
      </dl>
      ${p?.authoritativeDisagreement ? `<p class="warning" role="alert"><strong>Authoritative servers disagree:</strong> ${esc(p.authoritativeDisagreement)}. Until every server has the new zone (check NOTIFY and zone transfers), resolvers keep getting either answer.</p>` : ""}
      ${p?.authoritativeUnreachable ? `<p class="warning" role="alert"><strong>Authoritative servers do not answer:</strong> ${esc((p.authoritativeUnreachableServers || []).map((s) => `${s.resolver} (${s.error})`).join(", "))}. The switch and propagation are judged on the resolvers alone; check that this machine may send DNS to them (a firewall that lets DNS out only to the site's own resolvers).</p>` : ""}
      ${delegation(p?.delegation)}
      ${checklist(c.name)}
      <h3>Residual requests per minute (last hour)</h3>
      ${chart(r?.series)}
      <div class="grid2">
        <div>${resolvers(p)}</div>
        <div>
          ${top("Top stale clients", r?.topClients, "client")}
          ${top("Top user agents", r?.topUserAgents, "userAgent")}
          ${pendingAlerts(c.pendingAlerts)}
          <h3>Recent events</h3>
          ${events.length ? `<ol class="events">${events.map((e) => `<li><time datetime="${esc(e.at)}">${esc(time(e.at))}</time>${esc(e.text)}</li>`).join("")}</ol>` : '<p class="empty">No event yet.</p>'}
        </div>
      </div>
    </section>`;
  }

  let refreshes = 0;

  async function refresh() {
    try {
      const response = await api("/api/cutovers");
      if (response.status === 401) throw new Error("HTTP 401: open this page as /#token=<Listen:AdminToken>");
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const cutovers = await response.json();
      main.innerHTML = cutovers.length ? cutovers.map(render).join("") : '<p class="empty">No cutover configured.</p>';
      refreshed.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC`;
      main.setAttribute("aria-busy", "false");
      main.dataset.refreshes = String(++refreshes);
      for (const c of cutovers) preflight(c.name).then(() => { main.innerHTML = cutovers.map(render).join(""); });
    } catch (e) {
      refreshed.innerHTML = `<span class="error">Cannot reach the API (${esc(e.message)}); retrying.</span>`;
    }
  }

  refresh();
  setInterval(refresh, 5000);
})();
