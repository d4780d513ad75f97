// Firebreak's own script: progressive enhancement only. Every page works
// with JavaScript off; this file adds conveniences on top. No framework,
// nothing vendored or minified, no build step. Each feature is a section
// that runs only when its page has the element it needs.
"use strict";

(function () {
  // Each section registers a function run once the page has loaded.
  const features = [];
  window.firebreak = { on: (f) => features.push(f) };
  document.addEventListener("DOMContentLoaded", () => {
    for (const f of features) {
      try { f(); } catch (e) { console.error(e); }
    }
  });
})();

// --- incident page: the next escalation counts down ---
firebreak.on(() => {
  const els = () => document.querySelectorAll("time[data-countdown]");
  const words = (secs) => {
    if (secs <= 0) return "due now";
    const m = Math.floor(secs / 60), s = secs % 60;
    if (m >= 60) return "in " + Math.floor(m / 60) + " h " + (m % 60) + " min";
    return "in " + (m > 0 ? m + " min " : "") + s + " s";
  };
  const tick = () => {
    for (const el of els()) {
      const due = Date.parse(el.getAttribute("datetime"));
      if (!Number.isNaN(due)) el.textContent = words(Math.round((due - Date.now()) / 1000));
    }
  };
  tick();
  setInterval(tick, 1000);
});

// --- live pages: reload the main content when something changed ---
// Pages that show changing data mark an element with data-live-page. The
// server's /events stream says only that something changed; the page then
// fetches itself again and swaps its <main>, unless the reader is typing in
// a form, in which case it offers a reload instead of losing their input.
firebreak.on(() => {
  if (!document.querySelector("[data-live-page]") || !window.EventSource) return;
  let marker = null;
  let busy = false;
  const typing = () => {
    const a = document.activeElement;
    if (a && a.closest("main") && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return true;
    for (const el of document.querySelectorAll("main textarea, main input[type=text], main input:not([type])")) {
      if (el.value !== el.defaultValue) return true;
    }
    return false;
  };
  const offerReload = () => {
    if (document.getElementById("live-stale")) return;
    const p = document.createElement("p");
    p.id = "live-stale";
    p.className = "notice";
    p.setAttribute("role", "status");
    const a = document.createElement("a");
    a.href = location.href;
    a.textContent = "Reload";
    p.append("This page has changed since you opened it. ", a);
    document.querySelector("main").prepend(p);
  };
  const refresh = async () => {
    if (busy) return;
    if (typing()) { offerReload(); return; }
    busy = true;
    try {
      const res = await fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!res.ok || res.redirected) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const fresh = doc.querySelector("main");
      const main = document.querySelector("main");
      if (!fresh || !main || !fresh.querySelector("[data-live-page]")) return;
      if (typing()) { offerReload(); return; }
      const open = new Set([...main.querySelectorAll("details[open]")].map((d) => d.id || d.querySelector("summary")?.textContent));
      const y = window.scrollY;
      main.replaceChildren(...fresh.childNodes);
      for (const d of main.querySelectorAll("details")) {
        if (open.has(d.id || d.querySelector("summary")?.textContent)) d.open = true;
      }
      window.scrollTo(0, y);
    } catch (e) {
      console.error(e);
    } finally {
      busy = false;
    }
  };
  const source = new EventSource("/events");
  source.addEventListener("change", (e) => {
    if (marker !== null && e.data !== marker) refresh();
    marker = e.data;
  });
});
