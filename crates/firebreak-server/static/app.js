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
  const els = document.querySelectorAll("time[data-countdown]");
  if (els.length === 0) return;
  const words = (secs) => {
    if (secs <= 0) return "due now";
    const m = Math.floor(secs / 60), s = secs % 60;
    if (m >= 60) return "in " + Math.floor(m / 60) + " h " + (m % 60) + " min";
    return "in " + (m > 0 ? m + " min " : "") + s + " s";
  };
  const tick = () => {
    for (const el of els) {
      const due = Date.parse(el.getAttribute("datetime"));
      if (!Number.isNaN(due)) el.textContent = words(Math.round((due - Date.now()) / 1000));
    }
  };
  tick();
  setInterval(tick, 1000);
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
