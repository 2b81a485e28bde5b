// Check-in page: keep the code field focused for the next scan (handheld scanners type and
// press Enter), refresh the door's counts, and scan QR codes with the camera: with the
// browser's BarcodeDetector where there is one, else with jsQR served from our origin.
(function () {
  "use strict";
  var counts = document.getElementById("checkin-counts");
  if (counts && window.fetch) {
    var countIn = document.getElementById("checkin-count-in");
    var countSold = document.getElementById("checkin-count-sold");
    var refresh = function () {
      fetch(counts.getAttribute("data-stats-url"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (stats) {
        if (!stats) return;
        countIn.textContent = stats.checked_in;
        countSold.textContent = stats.sold;
      }).catch(function () { /* offline for a moment: the next poll tries again */ });
    };
    window.setInterval(refresh, 5000);
  }

  var form = document.getElementById("checkin-form");
  if (!form) return;
  var input = form.querySelector("input[name=code]");
  var cameraButton = document.getElementById("checkin-camera");
  var video = document.getElementById("checkin-video");
  var canvas = document.getElementById("checkin-canvas");
  var status = document.getElementById("checkin-camera-status");

  if (input) input.focus();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !cameraButton) return;
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

  function found(code) {
    input.value = code.trim();
    stop();
    form.submit();
  }

  // A detector: a function from the video to a promise of the decoded text (or null).
  function nativeDetector() {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return Promise.resolve(function () {
      return detector.detect(video).then(function (codes) {
        return codes.length && codes[0].rawValue ? codes[0].rawValue : null;
      });
    });
  }

  function jsqrDetector() {
    return new Promise(function (resolve, reject) {
      var done = function () {
        var context = canvas.getContext("2d", { willReadFrequently: true });
        resolve(function () {
          var width = video.videoWidth, height = video.videoHeight;
          if (!width || !height) return Promise.resolve(null);
          canvas.width = width;
          canvas.height = height;
          context.drawImage(video, 0, 0, width, height);
          var image = context.getImageData(0, 0, width, height);
          var code = window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
          return Promise.resolve(code && code.data ? code.data : null);
        });
      };
      if (window.jsQR) { done(); return; }
      var script = document.createElement("script");
      script.src = cameraButton.getAttribute("data-decoder");
      script.onload = done;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  cameraButton.addEventListener("click", function () {
    if (stream) { stop(); status.textContent = "Camera off."; return; }
    var detectorReady = "BarcodeDetector" in window ? nativeDetector() : jsqrDetector();
    Promise.all([
      detectorReady,
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }),
    ]).then(function (ready) {
      var detect = ready[0];
      stream = ready[1];
      video.srcObject = stream;
      video.hidden = false;
      cameraButton.textContent = "Stop camera";
      status.textContent = "Point the camera at the ticket's QR code.";
      return video.play().then(function () {
        (function look() {
          if (!stream) return;
          detect().then(function (code) {
            if (code) { found(code); } else { window.requestAnimationFrame(look); }
          }).catch(function () { window.requestAnimationFrame(look); });
        })();
      });
    }).catch(function () {
      status.textContent = "The camera is not available: type the code instead.";
      stop();
    });
  });
})();
