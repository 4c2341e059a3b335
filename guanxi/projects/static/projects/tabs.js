/* Projects: the project's tabs are one row that scrolls sideways on a narrow screen. Show
   the active tab (centred where the row allows) rather than the first few, and fade the
   edge behind which more tabs wait (classes gx-more-start / gx-more-end). */
(function () {
  "use strict";

  function edges(row) {
    var end = row.scrollWidth - row.clientWidth;
    row.classList.toggle("gx-more-start", row.scrollLeft > 1);
    row.classList.toggle("gx-more-end", row.scrollLeft < end - 1);
  }

  function init() {
    var row = document.getElementById("project-tabs");
    if (!row) return;
    var active = row.querySelector(".nav-link.active");
    if (active && row.scrollWidth > row.clientWidth) {
      var item = active.parentElement.getBoundingClientRect();
      var box = row.getBoundingClientRect();
      row.scrollLeft += item.left - box.left - (box.width - item.width) / 2;
    }
    edges(row);
    row.addEventListener("scroll", function () { edges(row); }, { passive: true });
    window.addEventListener("resize", function () { edges(row); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
