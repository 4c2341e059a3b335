/* The task kanban: SortableJS drags cards within and across status columns; each drop
   posts (status, the card now below it, version). A refused move shows the server's
   message and the page reloads, so the card snaps back to where it really is. */
(function () {
  "use strict";
  function showAlert(text) {
    var alert = document.getElementById("board-alert");
    alert.textContent = text;
    alert.classList.toggle("d-none", !text);
  }
  function onEnd(event) {
    var card = event.item;
    var list = event.to;
    if (event.from === list && event.oldIndex === event.newIndex) return;
    var next = card.nextElementSibling;
    var body = new URLSearchParams();
    body.set("status", list.dataset.status);
    body.set("before", next ? next.dataset.id : "");
    body.set("version", card.dataset.version);
    var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    card.classList.add("opacity-50");
    fetch(card.dataset.moveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok) { window.location.reload(); return; }
      return response.text().then(function (text) {
        showAlert(text.trim());
        setTimeout(function () { window.location.reload(); }, 1500);
      });
    });
  }
  document.querySelectorAll(".gx-kanban-cards").forEach(function (list) {
    Sortable.create(list, { group: "tasks", animation: 150, draggable: ".gx-kanban-card",
                            delay: 150, delayOnTouchOnly: true, onEnd: onEnd });
  });
})();
