// The waiting room's draw receipt: the page joins the line after it loads, so the receipt
// may not exist when the page is rendered; ask the receipt API until it does.
(function () {
  "use strict";
  var block = document.querySelector("[data-draw-receipt]");
  var room = document.getElementById("waiting-room");
  if (!block || !room || !window.fetch) return;
  var tries = 0;
  function show(receipt) {
    block.querySelector("[data-field=entry-id]").textContent = receipt.entry_id;
    block.querySelector("[data-field=commitment]").textContent = receipt.commitment || "";
    var rank = block.querySelector("[data-field=draw-rank]");
    rank.textContent = receipt.draw_rank ? "Drawn: place " + receipt.draw_rank + " in the pre-queue."
      : receipt.drawn ? "The draw has taken place." : "Drawn at sale start.";
    var link = block.querySelector("[data-field=draw-link]");
    link.href = link.href.split("?")[0] + "?entry=" + encodeURIComponent(receipt.entry_id);
    block.hidden = false;
  }
  function ask() {
    tries += 1;
    fetch(block.dataset.receiptUrl, {
      headers: { Authorization: "Bearer " + room.dataset.accessToken, Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (receipt) {
        if (receipt && receipt.entry_id) show(receipt);
        else if (tries < 10) window.setTimeout(ask, 2000 * tries);
      })
      .catch(function () { if (tries < 10) window.setTimeout(ask, 2000 * tries); });
  }
  if (block.hidden) window.setTimeout(ask, 1000);
})();
