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
