// Check-in page: keep the code field focused for the next scan (handheld scanners type and
// press Enter), and scan with the camera where the browser has a BarcodeDetector.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form) return;
  var input = form.querySelector("input[name=code]");
  var cameraButton = document.getElementById("checkin-camera");
  var video = document.getElementById("checkin-video");
  var status = document.getElementById("checkin-camera-status");

  if (input) {
    input.focus();
  }

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !cameraButton) return;
  cameraButton.hidden = false;
  var stream = null;

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    cameraButton.textContent = "Scan with camera";
  }

  cameraButton.addEventListener("click", function () {
    if (stream) { stop(); status.textContent = "Camera off."; return; }
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      cameraButton.textContent = "Stop camera";
      status.textContent = "Point the camera at the ticket's QR code.";
      return video.play().then(function () {
        (function look() {
          if (!stream) return;
          detector.detect(video).then(function (codes) {
            if (codes.length && codes[0].rawValue) {
              input.value = codes[0].rawValue.trim();
              stop();
              form.submit();
            } else {
              requestAnimationFrame(look);
            }
          }).catch(function () { requestAnimationFrame(look); });
        })();
      });
    }).catch(function () {
      status.textContent = "The camera is not available: type the code instead.";
      stop();
    });
  });
})();
