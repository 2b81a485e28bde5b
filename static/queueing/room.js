/* Waiting room: join on load, then poll the status API (with jitter) and show the place.
   The JWT access token comes from the page (data-access-token), so polls need no session
   and are answered from Redis alone. No inline script: CSP allows only this file. */
(function () {
  "use strict";

  var root = document.getElementById("waiting-room");
  if (!root || !window.fetch) return;

  var concertId = Number(root.dataset.concertId);
  var token = root.dataset.accessToken;
  var clockSkewMs = 0; // server time minus local time, from the Date header
  var timer = null;
  var countdownTimer = null;
  var activeUntil = null;
  var lastAnnounced = null;
  var lastAnnounceAt = 0;
  var lastMinuteAnnounced = null;
  var joined = root.dataset.initialStatus !== "none";
  var startKey = "bo-queue-start-" + concertId;

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }

  function showPanel(name) {
    root.querySelectorAll("[data-panel]").forEach(function (panel) {
      panel.hidden = panel.dataset.panel !== name;
    });
  }

  function announce(text, urgent) {
    var region = field(urgent ? "announce-urgent" : "announce");
    // Clear first so a repeated message is read again.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function formatWait(seconds) {
    if (seconds === null || seconds === undefined) return "Estimating…";
    if (seconds < 60) return "under a minute";
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return "about " + minutes + (minutes === 1 ? " minute" : " minutes");
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    return "about " + hours + " h " + (rest < 10 ? "0" : "") + rest + " min";
  }

  function formatClock(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function serverNow() { return Date.now() + clockSkewMs; }

  function localTimes() {
    var sale = field("sale-starts");
    if (sale && sale.getAttribute("datetime")) {
      var when = new Date(sale.getAttribute("datetime"));
      if (!isNaN(when)) {
        sale.textContent = when.toLocaleString([], {
          weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
        });
      }
    }
  }

  function renderProgress(position) {
    var start = Number(window.sessionStorage.getItem(startKey) || 0);
    if (!start || position > start) {
      start = position;
      window.sessionStorage.setItem(startKey, String(start));
    }
    var percent = start <= 1 ? 100 : Math.round(((start - position) / (start - 1)) * 100);
    var bar = field("progress");
    bar.setAttribute("aria-valuenow", String(percent));
    bar.setAttribute("aria-valuetext", percent + "% of the way to your turn");
    bar.querySelector("span").style.width = Math.max(percent, 2) + "%";
  }

  function tick() {
    var left = activeUntil - serverNow();
    var countdown = field("countdown");
    countdown.textContent = formatClock(left);
    countdown.classList.toggle("urgent", left < 60000);
    var minutesLeft = Math.ceil(left / 60000);
    if (left > 0 && left % 60000 < 1000 && minutesLeft !== lastMinuteAnnounced) {
      lastMinuteAnnounced = minutesLeft;
      announce(minutesLeft + (minutesLeft === 1 ? " minute" : " minutes") + " left to choose your tickets.");
    }
    if (left <= 0) {
      window.clearInterval(countdownTimer);
      countdownTimer = null;
      schedule(500);
    }
  }

  function render(state) {
    if (state.status === "active") {
      window.sessionStorage.removeItem(startKey);
      var until = Date.parse(state.active_until);
      var firstTime = activeUntil === null;
      activeUntil = until;
      showPanel("active");
      if (!countdownTimer) {
        tick();
        countdownTimer = window.setInterval(tick, 250);
      }
      if (firstTime) {
        announce("It's your turn: " + formatClock(until - serverNow()) +
          " left to choose your tickets. Use the Choose your tickets button.", true);
      }
      return 15000;
    }
    if (state.status === "waiting" && state.position === null) {
      showPanel("prequeue");
      if (lastAnnounced !== "prequeue") {
        lastAnnounced = "prequeue";
        announce("You are in the pre-queue. Your place will be drawn at random when the sale opens.");
      }
      return 10000;
    }
    if (state.status === "waiting") {
      showPanel("waiting");
      field("position").textContent = state.position.toLocaleString();
      field("ahead").textContent = (state.position - 1).toLocaleString();
      field("eta").textContent = formatWait(state.estimated_wait_seconds);
      field("length").textContent = state.queue_length.toLocaleString();
      renderProgress(state.position);
      // Announce on the first reading, then at most every 30 s, so a screen reader is not
      // interrupted by every poll.
      if (lastAnnounced !== state.position && Date.now() - lastAnnounceAt > 30000) {
        lastAnnounced = state.position;
        lastAnnounceAt = Date.now();
        announce("You are number " + state.position + " in line. Estimated wait: " +
          formatWait(state.estimated_wait_seconds) + ".");
      }
      if (state.position <= 50) return 2500;
      if (state.position <= 1000) return 5000;
      return 10000;
    }
    // none: the turn ended, the fan left in another tab, or the place was lost.
    window.sessionStorage.removeItem(startKey);
    if (activeUntil !== null) {
      field("none-title").textContent = "Your turn has ended";
      field("none-text").textContent = "The time to choose tickets is over. You can join the line again at the back.";
    }
    activeUntil = null;
    showPanel("none");
    announce(field("none-title").textContent + ". " + field("none-text").textContent, true);
    return null;
  }

  function showError(detail) {
    schedule(null);
    field("error").textContent = detail || "Something went wrong. Please reload the page.";
    showPanel("error");
    announce(field("error").textContent, true);
  }

  function refreshToken() {
    return fetch(root.dataset.tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("token");
        return response.json();
      })
      .then(function (body) { token = body.access; });
  }

  function api(url, options, retried) {
    options = options || {};
    var headers = { Accept: "application/json", Authorization: "Bearer " + token };
    if (options.body) headers["Content-Type"] = "application/json";
    return fetch(url, { method: options.method || "GET", headers: headers, body: options.body, credentials: "omit" })
      .then(function (response) {
        var date = Date.parse(response.headers.get("Date") || "");
        if (!isNaN(date)) clockSkewMs = date - Date.now();
        if (response.status === 401 && !retried) {
          return refreshToken().then(
            function () { return api(url, options, true); },
            function () { window.location.reload(); }
          );
        }
        return response.json().then(function (body) {
          if (!response.ok) {
            var error = new Error(body.detail || "HTTP " + response.status);
            error.status = response.status;
            error.body = body;
            throw error;
          }
          return body;
        });
      });
  }

  function jitter(ms) { return Math.round(ms * (0.7 + Math.random() * 0.6)); }

  function schedule(ms) {
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (ms === null) return;
    timer = window.setTimeout(poll, jitter(ms));
  }

  function poll() {
    timer = null;
    api(root.dataset.statusUrl + "?concert_id=" + concertId)
      .then(function (state) { schedule(render(state)); })
      .catch(function () { schedule(15000); }); // a network blip: try again a bit later
  }

  function join() {
    if (!joined) showPanel("joining");
    return api(root.dataset.joinUrl, { method: "POST", body: JSON.stringify({ concert_id: concertId }) })
      .then(function (state) {
        joined = true;
        lastAnnounced = null;
        lastAnnounceAt = 0;
        schedule(render(state));
      })
      .catch(function (error) {
        if (error.status === 409 || error.status === 404) showError(error.message);
        else schedule(5000);
      });
  }

  root.querySelectorAll("[data-join-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      join();
    });
  });

  // Back on a tab the browser throttled: refresh at once rather than at the next timer.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && joined && timer) schedule(300);
  });

  localTimes();
  // Joining is idempotent: reopening the tab keeps the place the fan already has.
  join();
})();
