// Shows <time data-local="datetime|card|date|time|month|day"> in the visitor's own time zone.
// The server renders UTC text first, so the page reads fine without JavaScript.
(function () {
  "use strict";
  var formats = {
    datetime: { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
    card: { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
    date: { day: "numeric", month: "short" },
    month: { month: "short" },
    day: { day: "numeric" },
    time: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" }
  };
  document.querySelectorAll("time[data-local][datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    var options = formats[el.getAttribute("data-local")];
    if (isNaN(when.getTime()) || !options) { return; }
    try {
      if (!el.title && el.getAttribute("data-local") !== "month" && el.getAttribute("data-local") !== "day") {
        el.title = el.textContent.trim();
      }
      el.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
    } catch (e) { /* keep the server's UTC text */ }
  });
})();
