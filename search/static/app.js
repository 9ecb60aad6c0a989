// Type-ahead from /api/suggest. Progressive enhancement: the form works without this file.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("goi-y");
  if (!input || !list || !window.fetch) return;
  var timer = null, items = [], active = -1, last = "";

  function close() { list.hidden = true; list.textContent = ""; items = []; active = -1; input.setAttribute("aria-expanded", "false"); }
  function choose(text) { input.value = text; close(); input.form.submit(); }
  function render(words) {
    list.textContent = ""; items = []; active = -1;
    words.forEach(function (w, i) {
      var li = document.createElement("li");
      li.textContent = w; li.id = "goi-y-" + i; li.setAttribute("role", "option");
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(w); });
      list.appendChild(li); items.push(li);
    });
    list.hidden = words.length === 0;
    input.setAttribute("aria-expanded", words.length ? "true" : "false");
  }
  function move(d) {
    if (!items.length) return;
    if (active >= 0) items[active].setAttribute("aria-selected", "false");
    active = (active + d + items.length) % items.length;
    items[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", items[active].id);
  }
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-expanded", "false");
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value;
    if (q.trim().length < 2) { close(); return; }
    timer = setTimeout(function () {
      if (q === last) return;
      last = q;
      fetch("/api/suggest?q=" + encodeURIComponent(q)).then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (d) { if (input.value === q) render(d.suggestions || []); })
        .catch(function () { close(); });
    }, 150);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(items[active].textContent); }
    else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
})();
