// Progressive enhancement only: the page works without this file.
// 1. Type-ahead from /api/suggest on the search box (ARIA 1.2 combobox: arrows, Enter, Escape).
// 2. "Copy" button on the embed page.
// 3. Filters apply as soon as one is chosen (the "apply" button is hidden by style.css).
(function () {
  "use strict";

  document.documentElement.className += " js";
  var filters = document.querySelector("details.filters");
  if (filters) {
    var form = filters.closest("form");
    filters.querySelectorAll("select, input").forEach(function (el) {
      el.addEventListener("change", function () {
        // A date being typed fires "change" on each complete value: wait for a valid one.
        if (el.type === "date" && el.value && !el.checkValidity()) return;
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      });
    });
  }

  var input = document.getElementById("q");
  var list = document.getElementById("goi-y");
  var status = document.getElementById("goi-y-tt");
  if (input && list && window.fetch) {
    var timer = null, items = [], active = -1, shown = "", pending = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    var select = function (i) {
      if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
      active = i;
      if (i >= 0) {
        items[i].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[i].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    };
    var close = function () {
      shown = "";
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    };
    var choose = function (text) {
      input.value = text;
      close();
      if (input.form.requestSubmit) input.form.requestSubmit(); else input.form.submit();
    };
    var render = function (typed, words) {
      close();
      words.forEach(function (w, i) {
        var li = document.createElement("li");
        li.id = "goi-y-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        // What the visitor typed stays plain, the completion is bold (text nodes only: no markup).
        if (w.toLowerCase().indexOf(typed.toLowerCase()) === 0 && w.length > typed.length) {
          var b = document.createElement("b");
          b.textContent = w.slice(typed.length);
          li.appendChild(document.createTextNode(w.slice(0, typed.length)));
          li.appendChild(b);
        } else {
          li.textContent = w;
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(w); });
        list.appendChild(li);
        items.push(li);
      });
      list.hidden = !words.length;
      input.setAttribute("aria-expanded", words.length ? "true" : "false");
      if (status) status.textContent = words.length ? words.length + " gợi ý, dùng phím mũi tên để chọn" : "";
    };
    var fetchSuggestions = function () {
      var q = input.value;
      if (q.trim().length < 2) { close(); shown = ""; return; }
      if (q === shown) return;
      if (pending && pending.abort) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      fetch("/api/suggest?q=" + encodeURIComponent(q), pending ? { signal: pending.signal } : {})
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (d) {
          if (input.value !== q || document.activeElement !== input) return;
          render(q, (d.suggestions || []).filter(function (w) { return w !== q; }).slice(0, 8));
          shown = q;
        })
        .catch(function () { /* offline or aborted: the plain form still works */ });
    };

    input.addEventListener("input", function () {
      clearTimeout(timer);
      shown = "";
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden && items.length > 0;
      if (e.key === "ArrowDown" || e.key === "Down") {
        e.preventDefault();
        if (open) select((active + 1) % items.length); else fetchSuggestions();
      } else if (e.key === "ArrowUp" || e.key === "Up") {
        if (!open) return;
        e.preventDefault();
        select(active <= 0 ? items.length - 1 : active - 1);
      } else if (e.key === "Enter") {
        if (open && active >= 0) { e.preventDefault(); choose(items[active].textContent); }
      } else if (e.key === "Escape" || e.key === "Esc") {
        if (open) { e.preventDefault(); close(); }
      } else if (e.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  var copy = document.querySelector("button[data-copy]");
  if (copy) {
    var source = document.getElementById(copy.getAttribute("data-copy"));
    var said = document.querySelector(".copied");
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var done = function () { if (said) said.textContent = "Đã sao chép."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(done, function () { source.select(); });
      } else {
        source.select();
        try { if (document.execCommand("copy")) done(); } catch (err) { /* select() is enough */ }
      }
    });
  }
})();
