/* Guanxi: small behaviours the server-rendered pages need. No framework, no build step. */
(function () {
  "use strict";

  // Formset rows: a button with data-gx-add-row="prefix" clones the <template> with id
  // "<prefix>-empty", replacing __prefix__ with the next index and bumping TOTAL_FORMS.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-gx-add-row]");
    if (!button) return;
    event.preventDefault();
    var prefix = button.getAttribute("data-gx-add-row");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var target = document.getElementById(prefix + "-rows");
    if (!total || !template || !target) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    target.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
  });

  // A read-only secret selects itself on click; a data-gx-copy="<id>" button copies the
  // value of the element with that id (no inline handlers: the templates carry none).
  document.addEventListener("click", function (event) {
    var field = event.target.closest("[data-gx-select]");
    if (field && field.select) field.select();
    var button = event.target.closest("[data-gx-copy]");
    if (!button || !navigator.clipboard) return;
    var source = document.getElementById(button.getAttribute("data-gx-copy"));
    if (source) navigator.clipboard.writeText(source.value);
  });

  // A select marked data-gx-autosubmit submits its form when changed (filter bars).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("[data-gx-autosubmit]") || !select.form) return;
    if (select.form.requestSubmit) select.form.requestSubmit();
    else select.form.submit();
  });

  // Picking a product fills in its list price unless the user typed one.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-gx-product]")) return;
    var option = select.options[select.selectedIndex];
    var row = select.closest("[data-gx-row]");
    if (!row || !option) return;
    var price = row.querySelector("input[name$='-unit_price']");
    if (price && !price.value && option.dataset.price) price.value = option.dataset.price;
  });

  // Filter forms marked data-gx-drop-empty send only the filters in use, so the pushed URL
  // reads ?status=active rather than ?q=&status=active&kind=&owner=…
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb !== "get" || !detail.elt.closest("[data-gx-drop-empty]")) return;
    var data = detail.formData;
    if (!data) return;
    Array.from(data.keys()).forEach(function (key) {
      if (data.getAll(key).every(function (value) { return value === ""; })) data.delete(key);
    });
  });
})();
