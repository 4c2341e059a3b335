// The province → city → district cascade (templates: regions/cascade.html). Changing a
// level clears the levels below it *before* anything else sees the change, so a filter
// form applying itself on "change" never sends a city of the previous province; the
// cascade then re-renders its choices through htmx.
(function () {
  if (window.gxRegionCascade) return;
  window.gxRegionCascade = true;
  var below = { province: ["city", "district"], city: ["district"] };
  document.addEventListener(
    "change",
    function (event) {
      var select = event.target;
      var level = select && select.getAttribute && select.getAttribute("data-gx-region");
      if (!level || !below[level]) return;
      var cascade = select.closest("[data-gx-region-cascade]");
      if (!cascade) return;
      below[level].forEach(function (name) {
        var lower = cascade.querySelector('[data-gx-region="' + name + '"]');
        if (lower) {
          lower.value = "";
          Array.prototype.slice.call(lower.options, 1).forEach(function (o) { o.remove(); });
        }
      });
    },
    true
  );
})();
