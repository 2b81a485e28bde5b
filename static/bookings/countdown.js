// Countdowns for a queue slot or a seat hold: any element with data-countdown-until (ISO time).
// It shows m:ss, announces each whole minute to screen readers, and when time is up disables
// [data-countdown-disable] controls and reloads data-countdown-expired-url (the server decides).
(function () {
  "use strict";

  function format(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function start(box) {
    var until = Date.parse(box.getAttribute("data-countdown-until"));
    if (isNaN(until)) return;
    var display = box.querySelector("[data-countdown-display]") || box;
    var announce = box.querySelector("[data-countdown-announce]");
    var expiredUrl = box.getAttribute("data-countdown-expired-url");
    var lastMinute = null;
    var timer;

    function tick() {
      var left = Math.max(0, Math.round((until - Date.now()) / 1000));
      display.textContent = format(left);
      display.classList.toggle("urgent", left <= 60);
      var minute = Math.ceil(left / 60);
      if (announce && minute !== lastMinute && (left % 60 === 0 || lastMinute === null)) {
        announce.textContent = left > 0 ? minute + " minute" + (minute === 1 ? "" : "s") + " left" : "Time is up";
        lastMinute = minute;
      }
      if (left === 0) {
        clearInterval(timer);
        document.querySelectorAll("[data-countdown-disable]").forEach(function (el) {
          el.setAttribute("disabled", "");
          el.classList.add("disabled");
          el.setAttribute("aria-disabled", "true");
        });
        if (expiredUrl) {
          setTimeout(function () { window.location.assign(expiredUrl); }, 1500);
        }
      }
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  document.querySelectorAll("[data-countdown-until]").forEach(start);
})();
