/* The project Gantt (frappe-gantt): the server's schedule drawn with the critical path in
   red. A dropped bar posts its new start; the server recomputes (successors move through
   their links) and answers the new bars, which replace the chart. Nothing is scheduled in
   the browser: dependencies are not dragged along on the client. */
(function () {
  "use strict";
  var root = document.getElementById("gantt");
  if (!root) return;
  var payload = JSON.parse(document.getElementById("gantt-payload").textContent);
  var readonly = root.dataset.readonly === "1";
  var mode = "Week";
  var chart = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function iso(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }

  function showAlert(text) {
    var alert = document.getElementById("gantt-alert");
    alert.textContent = text || "";
    alert.classList.toggle("d-none", !text);
  }

  function markCritical(data) {
    var critical = {};
    data.critical_links.forEach(function (pair) { critical[pair[0] + "-" + pair[1]] = true; });
    root.querySelectorAll(".arrow path").forEach(function (path) {
      var key = path.getAttribute("data-from") + "-" + path.getAttribute("data-to");
      path.classList.toggle("gx-critical-arrow", !!critical[key]);
    });
    root.dataset.criticalCount = String(data.tasks.filter(function (t) { return t.critical; }).length);
    var finish = document.getElementById("gantt-finish");
    if (finish) finish.textContent = data.finish || "—";
  }

  function byId(data) {
    var out = {};
    data.tasks.forEach(function (t) { out[t.id] = t; });
    return out;
  }

  function onDateChange(task, start) {
    // frappe-gantt may report one drop more than once (each mouseup on the chart replays
    // the last drag's bars): one request at a time, and none for the start already shown.
    if (root.dataset.busy === "1" || iso(start) === task.start) return;
    var body = JSON.stringify({ start: iso(start), version: task.version });
    var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    var url = root.dataset.rescheduleUrl.replace(/\/0\/reschedule\/$/, "/" + task.id + "/reschedule/");
    root.dataset.busy = "1";
    fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
      body: body,
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          showAlert(data.message || String(response.status));
          return fetch(root.dataset.dataUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); });
        }
        showAlert("");
        return data;
      });
    }).then(function (data) { draw(data); })
      .catch(function () { showAlert("…"); })
      .finally(function () { root.dataset.busy = "0"; });
  }

  // frappe-gantt adds custom_class with classList.add, which takes one token: it gets the
  // first class and the others ("gx-critical gx-milestone") are added once it has drawn.
  function addClasses(data) {
    data.tasks.forEach(function (t) {
      var wrapper = root.querySelector('.bar-wrapper[data-id="' + t.id + '"]');
      if (!wrapper) return;
      (t.custom_class || "").split(" ").filter(Boolean).forEach(function (name) {
        wrapper.classList.add(name);
      });
    });
  }

  function draw(data) {
    payload = data;
    var tasks = data.tasks.map(function (t) {
      var copy = Object.assign({}, t);
      copy.custom_class = (t.custom_class || "").split(" ")[0];
      return copy;
    });
    if (!tasks.length) { root.textContent = ""; return; }
    if (chart) {
      chart.refresh(tasks);
    } else {
      chart = new Gantt(root, tasks, {
        view_mode: mode,
        language: root.dataset.language,
        readonly: readonly,
        readonly_progress: true,
        move_dependencies: false,
        infinite_padding: false,
        today_button: false,
        view_mode_select: false,
        popup_on: "click",
        on_date_change: function (task, start) {
          var known = byId(payload)[task.id];
          if (!known || known.summary) return;
          onDateChange(known, start);
        },
      });
    }
    addClasses(data);
    markCritical(data);
    root.dataset.ready = "1";
  }

  document.querySelectorAll("#gantt-zoom [data-mode]").forEach(function (button) {
    button.addEventListener("click", function () {
      mode = button.dataset.mode;
      document.querySelectorAll("#gantt-zoom [data-mode]").forEach(function (b) {
        b.classList.toggle("active", b === button);
      });
      if (chart) { chart.change_view_mode(mode); addClasses(payload); markCritical(payload); }
      root.dataset.mode = mode;
    });
  });
  root.dataset.mode = mode;
  draw(payload);
})();
