/* The proof of work a waiting room may ask at join (docs/challenge.md). The page fetches the
   concert's challenge (GET /api/v1/queue/challenge), solves it in Web Workers (the vendored
   ALTCHA worker, static/vendor/altcha/) while the fan reads the page, and room.js sends the
   payload with the join. Exposes
     window.boxofficeChallenge.solution(concertId, token, force) -> Promise<string|null>
   resolving to ALTCHA's base64 payload, or null when the concert asks no proof of work
   (as the page was rendered; `force`: ask the server again). */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var challengeUrl = script.dataset.challengeUrl;
  var workerUrl = script.dataset.workerUrl;
  // Asked when the page was rendered? If not, joins go without a challenge, until the
  // server says otherwise (room.js then calls again with `force`).
  var askedAtLoad = script.dataset.required !== "0";

  // The polite live region of the waiting room (role=status), if the page has one.
  function say(text) {
    var box = document.querySelector('[data-field="challenge"]');
    if (!box) return;
    box.innerHTML = text ? '<p class="muted small room-challenge-text"></p>' : "";
    if (text) box.firstChild.textContent = text;
  }

  function fetchChallenge(concertId, token) {
    return fetch(challengeUrl + "?concert_id=" + encodeURIComponent(concertId), {
      headers: { Accept: "application/json", Authorization: "Bearer " + token },
      credentials: "omit",
    }).then(function (response) {
      // An expired token: join without a solution; room.js refreshes the token on the
      // join's 401, and its challenge_required answer brings the page back here.
      if (response.status === 401) return { required: false };
      if (!response.ok) {
        var error = new Error("HTTP " + response.status);
        error.status = response.status;
        throw error;
      }
      return response.json();
    });
  }

  // The deterministic challenge has exactly one answer: N workers try counters i, i+N, ...
  // and the first to find it wins; the others are stopped.
  function solve(challenge) {
    var count = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
    var expiresAt = Number(challenge.parameters.expiresAt) * 1000;
    var timeout = Math.max(1000, (expiresAt || Date.now() + 300000) - Date.now());
    return new Promise(function (resolve, reject) {
      var workers = [];
      var finished = false;
      var idle = 0;
      function finish(error, solution) {
        if (finished) return;
        finished = true;
        workers.forEach(function (worker) { worker.terminate(); });
        if (error) reject(error); else resolve(solution);
      }
      for (var i = 0; i < count; i++) {
        var worker = new Worker(workerUrl);
        workers.push(worker);
        worker.onmessage = function (message) {
          var data = message.data;
          if (data && data.error) return finish(new Error(String(data.error)));
          if (data && typeof data.counter === "number") return finish(null, data);
          idle += 1; // this worker gave up (timeout) without the answer
          if (idle === count) finish(new Error("The check took too long."));
        };
        worker.onerror = function () { finish(new Error("The browser could not run the check.")); };
        worker.postMessage({
          type: "work", challenge: challenge, counterStart: i, counterStep: count,
          counterMode: "uint32", timeout: timeout,
        });
      }
    });
  }

  function payload(challenge, solution) {
    return window.btoa(JSON.stringify({
      challenge: { parameters: challenge.parameters, signature: challenge.signature },
      solution: { counter: solution.counter, derivedKey: solution.derivedKey, time: solution.time },
    }));
  }

  function solution(concertId, token, force) {
    if (!force && !askedAtLoad) return Promise.resolve(null);
    return fetchChallenge(concertId, token).then(function (challenge) {
      if (!challenge.required) return null;
      if (!window.Worker || !window.crypto || !window.crypto.subtle) {
        say("This browser cannot run the check that keeps bots out (it needs Web Workers over a secure connection). Please try another browser.");
        throw new Error("unsupported");
      }
      say("Checking your browser… this takes a few seconds, you need not do anything.");
      return solve(challenge).then(function (found) {
        say("Browser check done.");
        window.setTimeout(function () { say(""); }, 4000);
        return payload(challenge, found);
      }, function (error) {
        say("The browser check did not finish. We will try again.");
        throw error;
      });
    });
  }

  window.boxofficeChallenge = { solution: solution };
})();
