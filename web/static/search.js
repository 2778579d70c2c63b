// Enhancements for the search page; every feature works without this file.
//  - the form sends only the parameters that are set (no `from=&to=&sort=relevance`);
//  - a sort order picked with the pointer or confirmed with Enter re-runs the search at once;
//    arrow keys only move through the options (the button next to it applies them);
//  - the folds (filters, chart) are opened on a wide screen, as the CSS already draws them;
//  - "/" jumps to the search box;
//  - word suggestions while typing, from /api/suggest when the server has it: a 404 (no such
//    endpoint yet) or any failure turns suggestions off quietly, and nothing else changes.
(function () {
  "use strict";

  var form = document.querySelector("form.search-form");
  if (!form) return;
  var input = form.querySelector("#q");
  var DEFAULTS = { sort: "relevance" };  // what the server assumes when a parameter is absent

  form.addEventListener("formdata", function (event) {
    var data = event.formData;
    Array.from(data.keys()).forEach(function (key) {
      var value = data.get(key);
      if (value === "" || DEFAULTS[key] === value) data.delete(key);
    });
  });

  function submit() {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  var sort = document.getElementById("sort");
  if (sort) {
    var picked = false;  // the last change came from a pointer (a mouse pick, a tap on a phone)
    sort.addEventListener("pointerdown", function () { picked = true; });
    sort.addEventListener("keydown", function (event) {
      picked = false;
      if (event.key === "Enter") { event.preventDefault(); submit(); }
    });
    sort.addEventListener("change", function () { if (picked) submit(); });
  }

  // Open in fact, not only drawn open by the CSS: screen readers and Tab follow `open`.
  if (window.matchMedia && window.matchMedia("(min-width: 52rem)").matches) {
    document.querySelectorAll("details.fold").forEach(function (fold) { fold.open = true; });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey && input) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });

  if (!input || !window.fetch) return;

  var DEBOUNCE_MS = 250;
  var MAX_SHOWN = 8;
  var list = document.createElement("datalist");
  list.id = "q-suggestions";
  form.appendChild(list);
  input.setAttribute("list", list.id);

  var timer = null;
  var controller = null;
  var enabled = true;
  var lastAsked = "";

  // The endpoint's shape is not fixed yet: accept a list, or {suggestions: [...]}, of strings
  // or of objects naming the text as text, word, value or query.
  function texts(data) {
    var items = Array.isArray(data) ? data : (data && data.suggestions) || [];
    var out = [];
    for (var i = 0; i < items.length && out.length < MAX_SHOWN; i++) {
      var item = items[i];
      var text = typeof item === "string" ? item : item && (item.text || item.word || item.value || item.query);
      if (typeof text === "string" && text.trim() && out.indexOf(text) < 0) out.push(text);
    }
    return out;
  }

  function show(words) {
    while (list.firstChild) list.removeChild(list.firstChild);
    words.forEach(function (word) {
      var option = document.createElement("option");
      option.value = word;  // textContent/value, never innerHTML: suggestions are data
      list.appendChild(option);
    });
  }

  function ask() {
    var q = input.value.trim();
    if (!enabled || q.length < 2 || q === lastAsked) return;
    lastAsked = q;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch("/api/suggest?q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        if (response.status === 404 || response.status === 405 || response.status === 501) {
          enabled = false;  // no suggest endpoint on this server: stop asking
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && input.value.trim() === q) show(texts(data));
      })
      .catch(function () { /* aborted, offline or not JSON: suggestions are optional */ });
  }

  input.addEventListener("input", function () {
    if (!enabled) return;
    clearTimeout(timer);
    timer = setTimeout(ask, DEBOUNCE_MS);
  });
})();
