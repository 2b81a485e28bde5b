// The draw page's "find my entry id" without a reload: the list is already in the page.
(function () {
  "use strict";
  var form = document.querySelector("[data-draw-find]");
  var list = document.querySelector("[data-draw-entries]");
  if (!form || !list) return;
  var input = form.querySelector("input[name=entry]");
  var result = form.querySelector("[data-field=find-result]");
  var items = list.querySelectorAll("li");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var wanted = input.value.trim().toLowerCase();
    var found = null;
    for (var i = 0; i < items.length; i++) {
      var mine = items[i].textContent.trim() === wanted;
      items[i].classList.toggle("draw-mine", mine);
      if (mine) found = i;
    }
    if (!wanted) {
      result.textContent = "Type or paste your entry id.";
    } else if (found === null) {
      result.textContent = "Entry " + wanted + " is not in this draw.";
    } else {
      result.textContent = "Entry " + wanted + " is at place " + (found + 1) + " of " + items.length + ".";
      items[found].scrollIntoView({ block: "nearest" });
    }
    if (window.history.replaceState) {
      window.history.replaceState(null, "", "?entry=" + encodeURIComponent(wanted));
    }
  });
})();
