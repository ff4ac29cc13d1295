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
  return { api, esc, time, ago, duration, cutoverUrl };
})();
