"use strict";
// The wave overview: one row per cutover, sortable (the column buttons) and filterable (state, name), refreshed
// every 5 seconds without losing the sort, the filter or the keyboard focus. Sort and filter live in the query
// string, so a filtered view can be bookmarked or shared. It reads /api/summary, one light row per cutover: the
// resolver tables of /api/cutovers would be megabytes every 5 seconds with hundreds of cutovers.
(() => {
  const { api, esc, time, ago, duration, cutoverUrl, every } = window.DnsBridge;
  const STATES = ["pending", "propagating", "draining", "quiet", "drained"];
  const main = document.getElementById("overview");
  const body = document.querySelector("#wave tbody");
  const headers = [...document.querySelectorAll("#wave th[data-key]")];
  const stateFilter = document.getElementById("state-filter");
  const nameFilter = document.getElementById("name-filter");
  const shown = document.getElementById("shown");
  const totals = document.getElementById("totals");
  const refreshed = document.getElementById("refreshed");

  const query = new URLSearchParams(location.search);
  const view = {
    sort: headers.some((h) => h.dataset.key === query.get("sort")) ? query.get("sort") : "name",
    descending: query.get("order") === "desc",
    state: STATES.includes(query.get("state")) ? query.get("state") : "",
    name: query.get("name") ?? "",
  };
  stateFilter.value = view.state;
  nameFilter.value = view.name;
  let rows = [];

  const row = (c) => ({
    name: c.name,
    state: c.drain.state,
    stateOrder: STATES.indexOf(c.drain.state),
    propagation: c.propagation ? c.propagation.ratio : null,
    // Before the switch no cache holds a stale answer yet: such rows sort last, like a missing value.
    stale: c.propagation && c.drain.state !== "pending" ? c.propagation.etaSeconds : null,
    residualNow: c.residual ? c.residual.perMinute1m : 0,
    residualHour: c.residual ? c.residual.lastHour : 0,
    lastResidual: c.residual?.lastRequestAt ? new Date(c.residual.lastRequestAt).getTime() : null,
    lastResidualAt: c.residual?.lastRequestAt,
    pendingAlerts: c.pendingAlerts,
    failedAlerts: c.failedAlerts,
  });

  // Missing values (no propagation data, no residual request yet) sort last whichever the direction.
  function compare(a, b) {
    const key = view.sort === "state" ? "stateOrder" : view.sort;
    const x = a[key], y = b[key];
    if (x == null && y == null) return a.name.localeCompare(b.name);
    if (x == null) return 1;
    if (y == null) return -1;
    const order = typeof x === "string" ? x.localeCompare(y) : x - y;
    return (view.descending ? -order : order) || a.name.localeCompare(b.name);
  }

  const rowHtml = (r) => `<tr data-state="${esc(r.state)}">
      <th scope="row"><a href="${esc(cutoverUrl(r.name))}">${esc(r.name)}</a></th>
      <td><span class="badge state-${esc(r.state)}">${esc(r.state)}</span></td>
      <td class="num">${r.propagation == null ? "–" : `${Math.round(r.propagation * 100)} %`}</td>
      <td class="num">${r.state === "pending" ? "not switched" : r.stale == null ? "–" : r.stale > 0 ? esc(duration(r.stale)) : "expired"}</td>
      <td class="num">${r.residualNow}</td>
      <td class="num">${r.residualHour}</td>
      <td>${r.lastResidualAt ? `<time datetime="${esc(r.lastResidualAt)}" title="${esc(time(r.lastResidualAt))}">${esc(ago(r.lastResidualAt))}</time>` : "never"}</td>
      <td class="num">${r.pendingAlerts}${r.failedAlerts ? ` <span class="error">(${r.failedAlerts} failed)</span>` : ""}</td>
    </tr>`;

  // The rows drawn so far, by cutover name, with the markup each was drawn from. A refresh replaces only the rows whose
  // markup changed and moves only rows whose place changed: on a wave of hundreds of quiet cutovers a refresh touches
  // almost nothing, so the open tab costs little, and a row that did not change keeps the keyboard focus.
  const drawn = new Map();
  const empty = document.createElement("tr");
  empty.innerHTML = `<td colspan="8" class="empty">No cutover matches the filter.</td>`;
  const parse = document.createElement("template");

  function render() {
    const needle = view.name.trim().toLowerCase();
    const visible = rows.filter((r) => (!view.state || r.state === view.state) && (!needle || r.name.toLowerCase().includes(needle))).sort(compare);
    const wanted = visible.map((r) => {
      const html = rowHtml(r);
      let entry = drawn.get(r.name);
      if (!entry || entry.html !== html) {
        parse.innerHTML = html;
        const tr = parse.content.firstElementChild;
        entry?.tr.replaceWith(tr);
        entry = { html, tr };
        drawn.set(r.name, entry);
      }
      return entry.tr;
    });
    if (!wanted.length) wanted.push(empty);
    const names = new Set(rows.map((r) => r.name));
    for (const [name, entry] of drawn) {
      if (!names.has(name)) drawn.delete(name);
    }
    wanted.forEach((tr, i) => {
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
    });
    // What is left after the wanted rows: filtered out, gone from the configuration, or the page's loading row.
    while (body.children.length > wanted.length) body.lastElementChild.remove();
    shown.textContent = `Showing ${visible.length} of ${rows.length} cutovers${view.state ? ` in state ${view.state}` : ""}.`;
    for (const h of headers) {
      if (h.dataset.key === view.sort) h.setAttribute("aria-sort", view.descending ? "descending" : "ascending");
      else h.removeAttribute("aria-sort");
    }
    main.dataset.rows = String(visible.length);
  }

  function remember() {
    const q = new URLSearchParams();
    if (view.sort !== "name") q.set("sort", view.sort);
    if (view.descending) q.set("order", "desc");
    if (view.state) q.set("state", view.state);
    if (view.name) q.set("name", view.name);
    history.replaceState(null, "", location.pathname + (q.size ? `?${q}` : ""));
  }

  for (const h of headers) {
    h.querySelector("button").addEventListener("click", () => {
      view.descending = view.sort === h.dataset.key ? !view.descending : false;
      view.sort = h.dataset.key;
      remember();
      render();
    });
  }
  stateFilter.addEventListener("change", () => { view.state = stateFilter.value; remember(); render(); });
  nameFilter.addEventListener("input", () => { view.name = nameFilter.value; remember(); render(); });
  document.getElementById("filters").addEventListener("submit", (e) => e.preventDefault());

  let refreshes = 0;
  async function refresh() {
    const cluster = window.DnsBridge.cluster(document.getElementById("cluster"));
    try {
      const cutovers = await api("/api/summary");
      rows = cutovers.map(row);
      const counts = STATES.map((s) => `${rows.filter((r) => r.state === s).length} ${s}`).join(", ");
      totals.textContent = `${rows.length} cutovers: ${counts}; ${rows.reduce((a, r) => a + r.residualHour, 0)} residual in the last hour; ` +
        `${rows.reduce((a, r) => a + r.pendingAlerts, 0)} pending alerts.`;
      for (const option of stateFilter.options) {
        if (option.value) option.textContent = `${option.value} (${rows.filter((r) => r.state === option.value).length})`;
      }
      render();
      refreshed.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC`;
      main.setAttribute("aria-busy", "false");
      main.dataset.refreshes = String(++refreshes);
    } catch (e) {
      refreshed.innerHTML = `<span class="error">Cannot reach the API (${esc(e.message)}); retrying.</span>`;
    }
    await cluster;
  }

  every(5000, refresh);
})();
