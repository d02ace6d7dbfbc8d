// Optional status filter for the cluster and findings tables. The page is complete without
// it: the buttons stay hidden and every row shows.
(function () {
  "use strict";
  var bar = document.getElementById("filters");
  if (!bar) { return; }
  var rows = document.querySelectorAll("#clusters tbody, #findings tbody");
  var buttons = bar.querySelectorAll("button[data-filter]");
  function show(status) {
    rows.forEach(function (row) {
      var keep = status === "all" || row.getAttribute("data-status") === status;
      row.setAttribute("data-filtered", keep ? "in" : "out");
    });
    buttons.forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-filter") === status));
    });
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () { show(button.getAttribute("data-filter")); });
  });
  bar.hidden = false;
}());
