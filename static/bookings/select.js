// Seat page: the quantity list offers only what the chosen category allows (the server sends
// each category's most as data-max-quantity, computed by bookings.selectors; it re-checks).
(function () {
  "use strict";

  var form = document.querySelector("form [name=quantity]");
  if (!form) return;
  var select = form;
  var most = document.querySelector("[data-quantity-most]");
  var all = Array.prototype.map.call(select.options, function (option) { return option.value; });

  function limitTo(max) {
    var chosen = Number(select.value) || 1;
    select.innerHTML = "";
    all.slice(0, max).forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    });
    select.value = String(Math.min(chosen, max));
    if (most) most.textContent = String(max);
  }

  document.querySelectorAll("input[name=category][data-max-quantity]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked) limitTo(Number(radio.dataset.maxQuantity));
    });
    if (radio.checked) limitTo(Number(radio.dataset.maxQuantity));
  });
})();
