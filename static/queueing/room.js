/* Waiting room: join on load, then poll the status API when the server says
   (queue_state.poll_after_seconds, already jittered) and show the place.
   The JWT access token comes from the page (data-access-token), so polls need no session
   and are answered from Redis alone. No inline script: CSP allows only this file. */
(function () {
  "use strict";

  var root = document.getElementById("waiting-room");
  if (!root || !window.fetch) return;

  var concertId = Number(root.dataset.concertId);
  var token = root.dataset.accessToken;
  // Server time minus local time: from the page's render time, corrected by Date headers.
  var clockSkewMs = Number(root.dataset.serverNow || 0) ? Number(root.dataset.serverNow) - Date.now() : 0;
  var saleStartsAt = Date.parse(root.dataset.saleStartsAt || "");
  var pageTitle = document.title;
  var timer = null;
  var countdownTimer = null;
  var saleTimer = null;
  var activeUntil = null;
  var lastStatus = root.dataset.initialStatus;
  var lastAnnounced = null;
  var lastAnnounceAt = 0;
  var lastLine = null;
  var lastMinuteAnnounced = null;
  var joined = root.dataset.initialStatus !== "none";
  var failures = 0; // consecutive failed polls: the connection is shown lost from the first
  var audio = null; // an AudioContext, unlocked by the fan's click on "Alert me"
  var startKey = "bo-queue-start-" + concertId;
  var MAX_BACKOFF_MS = 30000; // well below QUEUE_ABANDON_SECONDS: the place is kept meanwhile

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }

  function showPanel(name) {
    root.querySelectorAll("[data-panel]").forEach(function (panel) {
      panel.hidden = panel.dataset.panel !== name;
    });
    field("alerts").hidden = !(alertsOffered() && (name === "waiting" || name === "prequeue"));
  }

  // One sentence: "Estimated wait: Estimating…" must not become "Estimating….".
  function sentence(text) {
    text = text.trim();
    return /[.!?…]$/.test(text) ? text : text + ".";
  }

  function announce(text, urgent) {
    var region = field(urgent ? "announce-urgent" : "announce");
    // Clear first so a repeated message is read again.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // The line's explanations, rendered by the server (queueing.state.LINE_TEXTS).
  function lineText(reason) {
    var node = document.querySelector('[data-line-texts] [data-reason="' + reason + '"]');
    return node ? { title: node.dataset.title, text: node.textContent } : null;
  }

  function renderLine(state) {
    var notice = field("line-notice");
    var text = state.line_reason ? lineText(state.line_reason) : null;
    notice.hidden = !text;
    if (!text) return;
    field("line-title").textContent = text.title;
    field("line-text").textContent = text.text;
  }

  function formatWait(seconds, line) {
    if (line && line !== "open") return "Not known while the line is not moving";
    if (seconds === null || seconds === undefined) return "Estimating…";
    if (seconds < 60) return "under a minute";
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return "about " + plural(minutes, "minute");
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    return "about " + hours + " h " + (rest < 10 ? "0" : "") + rest + " min";
  }

  function formatClock(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    var mmss = (seconds < 10 ? ":0" : ":") + seconds;
    if (hours) return hours + ":" + (minutes < 10 ? "0" : "") + minutes + mmss;
    return minutes + mmss;
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

  // --- the pre-queue's countdown to the sale (on the server's clock) ----------------------
  function saleTick() {
    var left = saleStartsAt - serverNow();
    var display = field("sale-countdown");
    if (isNaN(left)) { display.textContent = "–"; return; }
    if (left <= 0) {
      display.textContent = "Now";
      window.clearInterval(saleTimer);
      saleTimer = null;
      return;
    }
    display.textContent = formatClock(left);
  }

  function startSaleCountdown() {
    if (saleTimer || isNaN(saleStartsAt)) return;
    saleTick();
    saleTimer = window.setInterval(saleTick, 1000);
  }

  function stopSaleCountdown() {
    if (saleTimer) window.clearInterval(saleTimer);
    saleTimer = null;
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

  // --- "your turn" when the tab is in the background --------------------------------------
  function alertsOffered() {
    var canNotify = "Notification" in window && window.Notification.permission === "default";
    return canNotify || (!audio && !!(window.AudioContext || window.webkitAudioContext));
  }

  function beep() {
    if (!audio) return;
    try {
      if (audio.state === "suspended") audio.resume();
      [0, 0.25].forEach(function (offset) {
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.setValueAtTime(0.15, audio.currentTime + offset);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + offset + 0.2);
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + offset);
        tone.stop(audio.currentTime + offset + 0.2);
      });
    } catch (e) { /* no sound is not an error */ }
  }

  function alertTurn() {
    document.title = "Your turn! · " + pageTitle;
    if (!document.hidden) return;
    beep();
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
    if ("Notification" in window && window.Notification.permission === "granted") {
      try {
        var note = new window.Notification("It's your turn", {
          body: "You have a few minutes to choose your tickets.", tag: "bo-turn-" + concertId,
        });
        note.onclick = function () { window.focus(); note.close(); };
      } catch (e) { /* some browsers only notify from a service worker */ }
    }
  }

  function enableAlerts() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context && !audio) {
      audio = new Context(); // created on a click, so the browser lets it play later
      beep();
    }
    var status = field("alerts-status");
    var done = function () {
      var granted = "Notification" in window && window.Notification.permission === "granted";
      status.textContent = granted
        ? "We will play a sound and show a notification when it's your turn."
        : "We will play a sound when it's your turn (notifications are off in this browser).";
      root.querySelector("[data-enable-alerts]").hidden = true;
    };
    if ("Notification" in window && window.Notification.permission === "default") {
      var asked = window.Notification.requestPermission(done);
      if (asked && asked.then) asked.then(done, done);
    } else {
      done();
    }
  }

  // --- the panels --------------------------------------------------------------------------
  function tick() {
    var left = activeUntil - serverNow();
    var countdown = field("countdown");
    countdown.textContent = formatClock(left);
    countdown.classList.toggle("urgent", left < 60000);
    var minutesLeft = Math.ceil(left / 60000);
    if (left > 0 && left % 60000 < 1000 && minutesLeft !== lastMinuteAnnounced) {
      lastMinuteAnnounced = minutesLeft;
      announce(plural(minutesLeft, "minute") + " left to choose your tickets.");
    }
    if (left <= 0) {
      window.clearInterval(countdownTimer);
      countdownTimer = null;
      schedule(500);
    }
  }

  // Shows the state; returns the page's own next-poll delay (ms), used only when the server
  // sent no poll_after_seconds (an older server).
  function render(state) {
    var previous = lastStatus;
    lastStatus = state.status;
    if (state.status === "active") {
      window.sessionStorage.removeItem(startKey);
      stopSaleCountdown();
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
        if (previous !== "active") alertTurn(); // a reload of an active page stays quiet
        else document.title = "Your turn! · " + pageTitle;
      }
      return 15000;
    }
    document.title = pageTitle;
    if (state.status === "waiting" && state.position === null) {
      showPanel("prequeue");
      startSaleCountdown();
      if (lastAnnounced !== "prequeue") {
        lastAnnounced = "prequeue";
        announce("You are in the pre-queue. Your place will be drawn when the sale opens, in a draw anyone can check.");
      }
      return 10000;
    }
    stopSaleCountdown();
    if (state.status === "waiting") {
      showPanel("waiting");
      renderLine(state);
      field("position").textContent = state.position.toLocaleString();
      field("ahead").textContent = (state.position - 1).toLocaleString();
      field("eta").textContent = formatWait(state.estimated_wait_seconds, state.line);
      field("length").textContent = state.queue_length.toLocaleString();
      renderProgress(state.position);
      // Announce on the first reading, then at most every 30 s, so a screen reader is not
      // interrupted by every poll.
      var lineKey = state.position + ":" + (state.line_reason || "open");
      if (lastAnnounced !== lineKey && (Date.now() - lastAnnounceAt > 30000 || lastLine !== state.line_reason)) {
        lastAnnounced = lineKey;
        lastAnnounceAt = Date.now();
        var why = state.line_reason ? lineText(state.line_reason) : null;
        announce("You are number " + state.position + " in line. " +
          (why ? sentence(why.title) + " " : "") +
          "Estimated wait: " + sentence(formatWait(state.estimated_wait_seconds, state.line)));
      }
      lastLine = state.line_reason;
      if (state.position <= 50) return 2500;
      if (state.position <= 1000) return 5000;
      return 10000;
    }
    if (state.line === "sold_out") {
      showSoldOut();
      return null;
    }
    // none: the turn ended, the fan left in another tab, or the place was lost.
    window.sessionStorage.removeItem(startKey);
    if (activeUntil !== null) {
      field("none-title").textContent = "Your turn has ended";
      field("none-text").textContent = "The time to choose tickets is over. You can join the line again at the back.";
    }
    activeUntil = null;
    showPanel("none");
    announce(sentence(field("none-title").textContent) + " " + sentence(field("none-text").textContent), true);
    return null;
  }

  function showSoldOut() {
    schedule(null);
    window.sessionStorage.removeItem(startKey);
    showPanel("sold-out");
    var text = lineText("sold_out");
    if (text) announce(sentence(text.title) + " " + text.text, true);
  }

  function showLimit(detail) {
    schedule(null);
    if (detail) field("limit-text").textContent = detail;
    showPanel("limit");
    announce(sentence(field("limit-text").textContent), true);
  }

  function showError(detail) {
    schedule(null);
    field("error").textContent = detail || "Something went wrong. Please reload the page.";
    showPanel("error");
    announce(sentence(field("error").textContent), true);
  }

  // --- the connection ----------------------------------------------------------------------
  function connectionLost(retryMs) {
    failures += 1;
    var box = field("connection");
    var seconds = Math.max(1, Math.round(retryMs / 1000));
    var text = "Connection lost. Your place is kept; trying again in " + plural(seconds, "second") + ".";
    if (!box.firstChild) {
      box.innerHTML = '<p class="alert alert-warning" data-offline></p>';
    }
    box.firstChild.textContent = text;
  }

  function connectionBack() {
    var box = field("connection");
    if (!failures) return;
    failures = 0;
    box.innerHTML = '<p class="alert alert-success" data-online></p>';
    box.firstChild.textContent = "Connection restored.";
    window.setTimeout(function () {
      if (!failures && box.querySelector("[data-online]")) box.innerHTML = "";
    }, 4000);
  }

  // 2 s, 4 s, 8 s ... capped: the page never gives up, and recovers by itself.
  function backoffMs() {
    var base = Math.min(MAX_BACKOFF_MS, 2000 * Math.pow(2, failures));
    return Math.round(base * (0.8 + Math.random() * 0.4));
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
        // The Date header has whole seconds: only a real drift replaces the page's offset.
        if (!isNaN(date) && Math.abs(date - Date.now() - clockSkewMs) > 2000) clockSkewMs = date - Date.now();
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
            error.retryAfter = Number(response.headers.get("Retry-After")) || null;
            throw error;
          }
          return body;
        }, function () {
          var error = new Error("HTTP " + response.status);
          error.status = response.status;
          throw error;
        });
      });
  }

  function schedule(ms) {
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (ms === null) return;
    timer = window.setTimeout(poll, ms);
  }

  // The server's hint (already jittered); the page's own rule, jittered, when it has none.
  function nextPollMs(state, fallbackMs) {
    if (fallbackMs === null) return null;
    var hint = Number(state.poll_after_seconds);
    if (hint > 0) return Math.round(hint * 1000);
    return Math.round(fallbackMs * (0.8 + Math.random() * 0.4));
  }

  function failed(error) {
    if (error && error.status === 429 && error.retryAfter) {
      schedule(error.retryAfter * 1000);
      return;
    }
    var wait = backoffMs();
    connectionLost(wait);
    schedule(wait);
  }

  function poll() {
    timer = null;
    api(root.dataset.statusUrl + "?concert_id=" + concertId)
      .then(function (state) {
        connectionBack();
        schedule(nextPollMs(state, render(state)));
      })
      .catch(failed);
  }

  function join(retried) {
    if (!joined) showPanel("joining");
    // Not in line: first the concert's proof of work, if it asks one (challenge.js).
    var proof = lastStatus === "none" && window.boxofficeChallenge
      ? window.boxofficeChallenge.solution(concertId, token, retried) : Promise.resolve(null);
    return proof.then(function (altcha) {
      return api(root.dataset.joinUrl, { method: "POST", body: JSON.stringify({ concert_id: concertId, altcha: altcha || undefined }) });
    })
      .then(function (state) {
        joined = true;
        lastAnnounced = null;
        lastAnnounceAt = 0;
        connectionBack();
        schedule(nextPollMs(state, render(state)));
      })
      .catch(function (error) {
        var code = error.body && error.body.code;
        if (code === "sold_out") { showSoldOut(); return; }
        if (code === "ticket_limit_reached") { showLimit(error.message); return; }
        // A check asked, lapsed or used meanwhile: solve a fresh one, once.
        if (!retried && error.body && /^challenge_/.test(error.body.code)) {
          lastStatus = "none";
          return join(true);
        }
        if (error.status === 409 || error.status === 404) {
          showError(error.message);
          return;
        }
        var wait = backoffMs();
        connectionLost(wait);
        timer = window.setTimeout(join, wait);
      });
  }

  root.querySelectorAll("[data-join-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      join();
    });
  });

  var alertsButton = root.querySelector("[data-enable-alerts]");
  if (alertsButton) alertsButton.addEventListener("click", enableAlerts);

  // "Leave the waiting room" asks first, in an accessible <dialog>.
  var leaveForm = root.querySelector("[data-leave-form]");
  var leaveDialog = root.querySelector("[data-leave-dialog]");
  if (leaveForm && leaveDialog && leaveDialog.showModal) {
    leaveForm.addEventListener("submit", function (event) {
      event.preventDefault();
      leaveDialog.returnValue = "";
      leaveDialog.showModal();
    });
    leaveDialog.addEventListener("close", function () {
      if (leaveDialog.returnValue === "leave") {
        schedule(null);
        leaveForm.submit();
      }
    });
  }

  // Back on a tab the browser throttled: refresh at once rather than at the next timer.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && joined && timer) schedule(300);
  });
  // The network came back: no need to wait for the backoff.
  window.addEventListener("online", function () {
    if (failures && joined) schedule(200);
  });

  localTimes();
  // Joining is idempotent: reopening the tab keeps the place the fan already has. Sent
  // here from the seat page (data-auto-join="0"), the fan is not put back in line unasked:
  // the page shows where they stand and offers to join.
  if (root.dataset.autoJoin === "1") join();
  else if (joined) poll();
})();
