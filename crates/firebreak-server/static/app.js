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
