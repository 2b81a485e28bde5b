// The admin's live queue views reload themselves every few seconds, except while staff
// are typing in one of their forms (a half-typed active cap must not be wiped).
(function () {
  "use strict";
  var seconds = parseInt(document.currentScript.dataset.refreshSeconds || "10", 10);
  var edited = false;
  document.addEventListener("input", function () { edited = true; });
  window.setInterval(function () {
    var focused = document.activeElement;
    var typing = focused && /^(INPUT|SELECT|TEXTAREA)$/.test(focused.tagName);
    if (!typing && !edited) {
      window.location.reload();
    }
  }, seconds * 1000);
})();
