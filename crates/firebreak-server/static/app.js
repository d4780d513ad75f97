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
  // Not under the reader's hands: wait until they have been still for a
  // moment (a click, a key, a touch) before replacing what they look at.
  let lastInput = 0;
  for (const type of ["keydown", "mousedown", "touchstart", "input", "focusin"]) {
    document.addEventListener(type, () => { lastInput = Date.now(); }, { capture: true, passive: true });
  }
  let pending = null;
  const refresh = async () => {
    if (busy) return;
    if (typing()) { offerReload(); return; }
    const quiet = Date.now() - lastInput;
    if (quiet < 3000) {
      if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 3100 - quiet);
      return;
    }
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

// --- triage queue: keyboard shortcuts and one open menu at a time ---
// j/k move between reports, o or Enter opens the row's forms, d focuses
// its dismiss reason, l its link field, i opens its declare form, x selects
// it for the bulk action, Escape closes. Without JavaScript the same forms
// open by clicking "Triage" (a <details>) or the report's title.
firebreak.on(() => {
  const queue = document.getElementById("triage-queue");
  if (!queue) return;
  const rows = Array.from(queue.querySelectorAll("tr.report"));
  if (rows.length === 0) return;
  let current = rows.findIndex((r) => r.classList.contains("open"));

  const menuOf = (row) => row.querySelector("details.act");
  const closeMenus = (except) => {
    for (const d of queue.querySelectorAll("details.act[open]")) {
      if (d !== except) d.open = false;
    }
  };
  const select = (i) => {
    if (i < 0 || i >= rows.length) return;
    if (current >= 0 && rows[current]) rows[current].classList.remove("current");
    current = i;
    const row = rows[i];
    row.classList.add("current");
    const focusable = row.querySelector("summary") || row.querySelector("a.report-title");
    if (focusable) focusable.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  };
  const openMenu = (row) => {
    const d = menuOf(row);
    if (!d) return null;
    closeMenus(d);
    d.open = true;
    return d;
  };

  // The selected count beside the bulk button.
  const count = document.getElementById("bulk-count");
  const boxes = Array.from(queue.querySelectorAll("input[name=report]"));
  const showCount = () => {
    if (!count) return;
    const n = boxes.filter((b) => b.checked).length;
    count.textContent = n === 0 ? "" : n + " selected";
  };
  for (const b of boxes) b.addEventListener("change", showCount);
  showCount();

  // One menu open at a time; a click elsewhere closes it.
  for (const d of queue.querySelectorAll("details.act")) {
    d.addEventListener("toggle", () => { if (d.open) closeMenus(d); });
  }
  document.addEventListener("click", (e) => {
    if (!e.target.closest("details.act")) closeMenus(null);
  });
  // Clicking in a row makes it the current one.
  queue.addEventListener("focusin", (e) => {
    const row = e.target.closest("tr.report");
    const i = rows.indexOf(row);
    if (i >= 0 && i !== current) {
      if (current >= 0 && rows[current]) rows[current].classList.remove("current");
      current = i;
      row.classList.add("current");
    }
  });

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    const typing = t instanceof HTMLElement &&
      (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
    if (e.key === "Escape") {
      const open = queue.querySelector("details.act[open]");
      if (open) {
        open.open = false;
        const s = open.querySelector("summary");
        if (s) s.focus();
        e.preventDefault();
      }
      return;
    }
    if (typing) return;
    const row = rows[current];
    switch (e.key) {
      case "j": select(current < 0 ? 0 : current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "o":
      case "Enter": {
        // Enter on a link, button or summary does what it always does.
        if (e.key === "Enter" && t.closest && t.closest("a, button, summary")) return;
        if (!row) return;
        const d = menuOf(row);
        if (!d) return;
        if (d.open) { d.open = false; } else { openMenu(row); }
        break;
      }
      case "d":
      case "l": {
        if (!row || !openMenu(row)) return;
        const id = row.dataset.reportId;
        const field = document.getElementById((e.key === "d" ? "dismiss-reason-" : "link-") + id);
        if (field) field.focus();
        break;
      }
      case "i": {
        const a = row && row.querySelector("a.report-title");
        if (a) window.location.assign(a.href);
        break;
      }
      case "x": {
        const box = row && row.querySelector("input[name=report]");
        if (!box) return;
        box.checked = !box.checked;
        showCount();
        break;
      }
      default: return;
    }
    e.preventDefault();
  });
});

// --- on call ---
// The page shows times in UTC until it knows the viewer's zone: on first
// load, ask again with the browser's zone in `?tz=` (a link keeps it; the
// form on the page changes it). Without JavaScript the form does the same.
firebreak.on(() => {
  if (!document.getElementById("tz-form")) return;
  const params = new URLSearchParams(window.location.search);
  if (params.has("tz")) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  if (!zone || zone === "UTC" || zone === "Etc/UTC") return;
  params.set("tz", zone);
  window.location.replace(window.location.pathname + "?" + params.toString() + window.location.hash);
});

// --- scrollable tables ---
// On a narrow screen a wide table scrolls sideways inside its own box
// (app.css). A keyboard user must be able to reach it to scroll it: a
// table that scrolls is made focusable while it does. (Chromium and
// Firefox make such boxes focusable themselves; not every browser does.)
firebreak.on(() => {
  const tables = document.querySelectorAll("table.list");
  if (tables.length === 0) return;
  const update = () => {
    for (const t of tables) {
      const scrolls = t.scrollWidth > t.clientWidth + 1;
      if (scrolls && !t.hasAttribute("tabindex")) {
        t.tabIndex = 0;
        t.dataset.scrolls = "yes";
      } else if (!scrolls && t.dataset.scrolls) {
        t.removeAttribute("tabindex");
        delete t.dataset.scrolls;
      }
    }
  };
  update();
  window.addEventListener("resize", update);
});

// --- routing rules: the payload test answers as you type ---
// The JSON API takes bearer tokens only, not the session's cookie, so this
// posts the page's own form (`POST /admin/routing/test`, with its CSRF
// token) and shows the result block of the page it answers. Without
// JavaScript the "Test" button posts the same form.
firebreak.on(() => {
  const form = document.getElementById("routing-test-form");
  const result = document.getElementById("routing-test-result");
  if (!form || !result) return;
  let timer = null, seq = 0;
  const run = async () => {
    const mine = ++seq;
    try {
      const res = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)),
      });
      const html = await res.text();
      if (mine !== seq) return; // a newer test is on its way
      const fresh = new DOMParser().parseFromString(html, "text/html")
        .getElementById("routing-test-result");
      if (fresh) result.replaceChildren(...fresh.childNodes);
    } catch (e) {
      console.error(e);
    }
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(run, 600); };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
});

// --- test page result: look again every 2 s while it is pending ---
// The result page (/admin/users/{name}/test-pages/{id}) says pending until
// the worker has tried the message; without JavaScript its "Refresh" link
// does the same. Stops once the state is delivered or failed.
firebreak.on(() => {
  const el = document.getElementById("test-result");
  if (!el || el.dataset.state !== "pending") return;
  setTimeout(() => window.location.reload(), 2000);
});
