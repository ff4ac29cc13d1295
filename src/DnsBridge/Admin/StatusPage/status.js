"use strict";
// What the overview and the cutover page share: the token, the API, escaping and how times read.
window.DnsBridge = (() => {
  // With Listen:AdminToken a page is opened as /#token=...: the fragment never reaches a server or a log, and is
  // removed from the address bar once kept for this tab (links to other pages keep working within the tab).
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("dnsbridge-token", fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = sessionStorage.getItem("dnsbridge-token");
  const api = async (url) => {
    const response = await fetch(url, { cache: "no-store", headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (response.status === 401) throw new Error("HTTP 401: open this page as /#token=<Listen:AdminToken>");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };
  const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const time = (v) => v ? new Date(v).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "–";
  const ago = (v) => {
    if (!v) return "never";
    const s = Math.max(0, Math.round((Date.now() - new Date(v).getTime()) / 1000));
    return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
  };
  const duration = (s) => s == null ? "–" : s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
  const cutoverUrl = (name) => `/cutovers/${encodeURIComponent(name)}`;

  // One line on who answers (this replica, the leader, how many replicas), and a warning when the shared store cannot
  // be reached or replicas disagree on the configuration. A single instance (SQLite) shows nothing here.
  async function cluster(box) {
    try {
      const c = await api("/api/cluster");
      const alive = c.replicas.filter((r) => r.alive).length;
      const line = c.replicas.length > 1 ? `<p>Replica <strong>${esc(c.replica)}</strong> of ${alive} live; leader: ${esc(c.leader ?? "none yet")}.</p>` : "";
      const store = c.store.reachable ? "" : `<p class="warning" role="alert"><strong>The state store cannot be reached</strong> (${esc(c.store.problem ?? "")}): forwarding goes on; the drain state and other replicas' figures are not current.</p>`;
      const mismatch = c.configMismatch.length ? `<p class="warning" role="alert"><strong>Configuration mismatch:</strong> ${esc(c.warning)}.</p>` : "";
      box.innerHTML = line + store + mismatch;
    } catch {
      box.innerHTML = "";
    }
  }
  // Runs task now and again ms after each run ends (not every ms): when the API is slow, the page never has two
  // rounds of requests in flight, where a fixed interval would pile them up.
  function every(ms, task) {
    const run = async () => {
      try {
        await task();
      } finally {
        setTimeout(run, ms);
      }
    };
    run();
  }
  return { api, esc, time, ago, duration, cutoverUrl, cluster, every };
})();
