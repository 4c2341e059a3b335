/* The sales kanban: SortableJS drags cards within and across columns; each drop posts
   (stage, index, version) with htmx. A refused move (409 stale card, 422 stage rules) shows
   the server's message and the board reloads, so the card snaps back to where it really is. */
(function () {
  "use strict";

  function reloadBoard() {
    var board = document.getElementById("board");
    if (!board) return Promise.resolve();
    return htmx.ajax("GET", board.dataset.boardUrl, { target: "#board", swap: "outerHTML" });
  }

  function showAlert(text) {
    var alert = document.getElementById("board-alert");
    if (!alert) return;
    alert.textContent = text;
    alert.classList.toggle("d-none", !text);
  }

  function onEnd(event) {
    var card = event.item;
    var list = event.to;
    if (event.from === list && event.oldIndex === event.newIndex) return;
    var index = Array.prototype.indexOf.call(
      list.querySelectorAll(".gx-kanban-card"), card
    );
    var body = new URLSearchParams();
    body.set("stage", list.dataset.stage);
    body.set("index", String(index));
    body.set("version", card.dataset.version);
    var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    card.classList.add("opacity-50");
    fetch(card.dataset.moveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true",
                 "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin",
    }).then(function (response) {
      return response.text().then(function (text) {
        if (response.ok) {
          showAlert("");
        } else {
          showAlert(text.trim());
        }
        return reloadBoard();
      });
    }).catch(function () { return reloadBoard(); });
  }

  function init(root) {
    (root || document).querySelectorAll(".gx-kanban-cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      Sortable.create(list, {
        group: "kanban",
        animation: 150,
        draggable: ".gx-kanban-card",
        filter: ".gx-more",
        delay: 150,
        delayOnTouchOnly: true,
        onEnd: onEnd,
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(); });
  document.body.addEventListener("htmx:afterSettle", function () { init(); });
})();
