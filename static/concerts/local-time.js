// Times are written in the venue's zone by the server ("Mon 21 Dec, 20:00 PST").
// For a fan whose own zone differs, this adds "(your time: Tue 22 Dec, 05:00 CET)" after
// each <time data-venue-tz>. Without JavaScript the venue time alone reads fine.
(function () {
  "use strict";
  var options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
  var ownZone;
  try { ownZone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  function wallClock(when, zone) {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone, dateStyle: "short", timeStyle: "short" }).format(when);
  }
  document.querySelectorAll("time[data-venue-tz][datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    var venueZone = el.getAttribute("data-venue-tz");
    if (isNaN(when.getTime()) || !venueZone || venueZone === ownZone) { return; }
    try {
      if (wallClock(when, venueZone) === wallClock(when, ownZone)) { return; }
      var hint = document.createElement("span");
      hint.className = "your-time muted small";
      hint.textContent = " (your time: " + new Intl.DateTimeFormat(undefined, options).format(when) + ")";
      el.insertAdjacentElement("afterend", hint);
    } catch (e) { /* an unknown zone: keep the venue time alone */ }
  });
})();
