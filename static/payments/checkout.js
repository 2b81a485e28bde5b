/* Checkout: hold countdown, test-card helpers, and Stripe's Payment Element (provider=stripe). */
(function () {
  "use strict";

  function formatSeconds(total) {
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function disablePayment() {
    document.querySelectorAll(".pay-form button[type=submit]").forEach(function (button) {
      button.disabled = true;
    });
    document.querySelectorAll(".pay-area").forEach(function (el) {
      el.hidden = true;
    });
  }

  function startCountdown() {
    var hold = document.getElementById("hold");
    if (!hold) return;
    var display = document.getElementById("hold-countdown");
    var announce = document.getElementById("hold-announce");
    var expiredNote = document.getElementById("hold-expired-note");
    // Count from the server's "seconds left" with the local monotonic clock, so a wrong
    // clock on the fan's device does not change the countdown.
    var secondsLeft = parseInt(hold.dataset.secondsLeft, 10) || 0;
    var deadline = performance.now() + secondsLeft * 1000;
    var warned = false;

    function tick() {
      var remaining = Math.max(0, Math.round((deadline - performance.now()) / 1000));
      display.textContent = formatSeconds(remaining);
      display.classList.toggle("urgent", remaining <= 60);
      if (remaining <= 60 && remaining > 0 && !warned) {
        warned = true;
        announce.textContent = "One minute left to pay before your hold expires.";
      }
      if (remaining === 0) {
        announce.textContent = "Your hold has expired.";
        if (expiredNote) expiredNote.hidden = false;
        disablePayment();
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  function setUpFakeForm() {
    var form = document.getElementById("fake-pay-form");
    if (!form) return;
    var input = document.getElementById("card_number");
    document.querySelectorAll(".card-fill").forEach(function (button) {
      button.addEventListener("click", function () {
        input.value = button.dataset.card.replace(/(\d{4})(?=\d)/g, "$1 ");
        input.focus();
      });
    });
    form.addEventListener("submit", function () {
      var button = document.getElementById("pay-button");
      // Let the browser submit first, then block a second click.
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = "Paying…";
      }, 0);
    });
  }

  function setUpStripe() {
    var form = document.getElementById("stripe-pay-form");
    if (!form) return;
    var errorBox = document.getElementById("payment-error");
    var button = document.getElementById("pay-button");
    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
    }
    if (typeof window.Stripe !== "function") {
      showError("The payment form could not load. Check your connection and reload the page.");
      button.disabled = true;
      return;
    }
    var stripe = window.Stripe(form.dataset.publishableKey);
    var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
    elements.create("payment").mount("#payment-element");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      errorBox.hidden = true;
      stripe
        .confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
        .then(function (result) {
          // Only reached on an error: on success Stripe redirects to return_url.
          if (result.error) {
            showError(result.error.message || "Your payment could not be completed.");
            button.disabled = false;
          }
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startCountdown();
    setUpFakeForm();
    setUpStripe();
  });
})();
