// Pretenders web UI: live updates and small conveniences.
// Recorded traffic is hostile: it only ever reaches the page as textContent, never as HTML.
"use strict";

(function () {
  const body = document.body;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function cell(className, ...children) {
    const td = el("td", className);
    children.forEach((child) => td.append(child));
    return td;
  }

  function link(href, child) {
    const a = el("a");
    a.href = href;
    a.append(child);
    return a;
  }

  function timeNode(text, title) {
    const node = el("time", "", text);
    node.title = title;
    return node;
  }

  const METHODS = ["get", "post", "put", "patch", "delete"];

  function methodNode(method) {
    const lower = method.toLowerCase();
    return el("span", "method m-" + (METHODS.includes(lower) ? lower : "other"), method);
  }

  function setCount(name, value) {
    document.querySelectorAll('[data-count="' + name + '"]').forEach((node) => {
      node.textContent = String(value);
    });
  }

  function setLastCall(scope, event) {
    scope.querySelectorAll('[data-field="last_call"]').forEach((node) => {
      node.replaceChildren(timeNode(event.last_call, event.last_call_title));
    });
  }

  function prepend(tableName, row) {
    const tbody = document.querySelector('[data-table="' + tableName + '"] tbody');
    if (!tbody) return;
    tbody.querySelectorAll("tr.empty").forEach((node) => node.remove());
    // Narrow screens show each cell under its column's name, as the server-made rows do.
    const heads = tbody.closest("table").querySelectorAll("thead th");
    Array.from(row.children).forEach((td, i) => {
      if (heads[i] && heads[i].textContent) td.dataset.label = heads[i].textContent;
    });
    row.classList.add("fresh");
    tbody.prepend(row);
  }

  function requestRow(r) {
    const tr = el("tr", "link-row");
    tr.dataset.index = String(r.index);
    tr.append(
      cell("num", link(r.href, document.createTextNode(String(r.index)))),
      cell("", timeNode(r.time, r.time_title)),
      cell("", methodNode(r.method)),
      cell("url-cell", link(r.href, el("code", "url", r.url))),
      cell("", el("span", "badge " + r.status_class, r.status)),
      cell(r.served_class, document.createTextNode(r.served)),
    );
    return tr;
  }

  function mailRow(m) {
    const tr = el("tr", "link-row");
    tr.dataset.index = String(m.index);
    tr.append(
      cell("num", link(m.href, document.createTextNode(String(m.index)))),
      cell("", timeNode(m.time, m.time_title)),
      cell("addr", document.createTextNode(m.sender)),
      cell("addr", document.createTextNode(m.recipients)),
      cell("subject", link(m.href, document.createTextNode(m.subject || "(no subject)"))),
      cell("num muted", document.createTextNode(m.size)),
    );
    return tr;
  }

  function updatePreset(served, count) {
    if (served) {
      const row = document.querySelector('tr[data-preset="' + served.id + '"]');
      if (row && served.gone) {
        row.remove(); // used up, so gone from the mock too
      } else if (row) {
        const times = row.querySelector('[data-field="times"]');
        if (times) times.textContent = served.times;
        const uses = row.querySelector('[data-field="served"]');
        if (uses) uses.textContent = String(served.served);
      }
    }
    setCount("presets", count);
    // Events carry no preset list: presets added or removed elsewhere show as a mismatch.
    if (document.querySelectorAll("tr[data-preset]").length !== count) {
      notify("The presets changed.");
    }
  }

  let notice = null;

  function notify(message) {
    if (notice) return;
    notice = el("div", "notice", message);
    notice.setAttribute("role", "status");
    const reload = el("a", "", "Reload");
    reload.href = location.pathname + location.search;
    notice.append(reload);
    body.append(notice);
  }

  function onIndexRecord(event) {
    const row = Array.from(document.querySelectorAll("tr[data-mock]")).find(
      (node) => node.dataset.mock === event.mock && node.closest('[data-table="' + event.protocol + '"]'),
    );
    if (!row) {
      notify("New mocks are receiving traffic.");
      return;
    }
    const records = row.querySelector('[data-field="records"]');
    if (records) records.textContent = String(event.records);
    const presets = row.querySelector('[data-field="presets"]');
    if (presets) presets.textContent = String(event.presets);
    setLastCall(row, event);
    row.classList.remove("fresh");
    void row.offsetWidth; // restart the highlight
    row.classList.add("fresh");
  }

  function onRecord(event) {
    const page = body.dataset.page;
    if (page === "index") {
      onIndexRecord(event);
      return;
    }
    if (event.mock !== body.dataset.live) return;
    setCount("records", event.records);
    setLastCall(document, event);
    if (page === "http") {
      prepend("requests", requestRow(event.row));
      updatePreset(event.preset, event.presets);
    } else if (page === "smtp") {
      prepend("mails", mailRow(event.row));
    }
  }

  function watch(target) {
    const indicator = document.getElementById("live-state");
    const label = indicator ? indicator.querySelector(".live-label") : null;
    function show(state, text) {
      if (!indicator) return;
      indicator.hidden = false;
      indicator.dataset.state = state;
      label.textContent = text;
    }
    const url = "/ui/events" + (target === "all" ? "" : "?mock=" + encodeURIComponent(target));
    const source = new EventSource(url);
    let lost = false;
    show("connecting", "Connecting…");
    source.addEventListener("open", () => {
      if (lost) notify("Live updates were interrupted; some traffic may be missing here.");
      show("live", "Live");
    });
    source.addEventListener("error", () => {
      lost = true;
      show("offline", "Reconnecting…");
    });
    source.addEventListener("record", (message) => {
      try {
        onRecord(JSON.parse(message.data));
      } catch (error) {
        console.error("pretenders: could not show a live update", error);
      }
    });
    source.addEventListener("overflow", () => {
      notify("Live updates fell behind the traffic.");
    });
    source.addEventListener("closed", () => {
      source.close();
      show("offline", "Server stopped");
    });
  }

  if (body.dataset.live !== undefined) watch(body.dataset.live);

  document.querySelectorAll("code[data-copy]").forEach((node) => {
    node.title = "Click to copy";
    node.addEventListener("click", () => {
      if (navigator.clipboard) navigator.clipboard.writeText(node.textContent).catch(() => {});
    });
  });
})();
