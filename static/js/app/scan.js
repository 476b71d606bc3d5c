// Reading a person's fingerprint QR code (static/js/app/qr.js draws it) with the camera, as a
// second way to compare it with the one expected. Frames are decoded here, by the vendored jsQR;
// no image leaves the page. The camera stops on a result, on "Stop", and when the screen changes.

import { _ } from "../i18n.js";
import { h, whenLeft } from "./ui.js";

const FINGERPRINT = /^\d{5}( \d{5}){5}$/;
// A few decodes a second are enough for a code held still; more would only warm the phone.
const SCAN_EVERY_MS = 150;
// The decoder (static/vendor/jsqr.js, the app's largest file) loads at the first scan, not with
// the screen: most visits to a screen that offers a scan never start the camera.
let decoder = null;

function loadDecoder() {
  decoder ??= import("../../vendor/jsqr.js").then((module) => module.default).catch((error) => {
    decoder = null;
    throw error;
  });
  return decoder;
}

export function sameFingerprint(scanned, expected) {
  return scanned.trim() === expected.trim();
}

function cameraProblemText(error) {
  if (!navigator.mediaDevices?.getUserMedia) return _("This browser gives no access to a camera here. Compare the digits instead.");
  if (error?.name === "NotAllowedError" || error?.name === "SecurityError") {
    return _("The camera was refused. Allow it in the browser's settings to scan, or compare the digits instead.");
  }
  if (error?.name === "NotFoundError" || error?.name === "OverconstrainedError") {
    return _("No camera was found on this device. Compare the digits instead.");
  }
  return _("The camera could not be started. Compare the digits instead.");
}

async function openCamera() {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error("no getUserMedia");
  // The rear camera when there is one: the code is on the other person's phone.
  return navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: "environment" } } });
}

function decodeFrame(jsQR, video, canvas) {
  const { videoWidth: width, videoHeight: height } = video;
  if (!width || !height) return null;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0, width, height);
  const found = jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
  return found ? found.data : null;
}

// A "Scan the QR code" control for a screen that shows `expected` as digits. `onMatch` runs what
// confirming the digits by hand would run; a mismatch only warns, loudly.
export function scanControl(expected, { onMatch }) {
  const video = h("video", { className: "scan-view", muted: true, playsinline: true, hidden: true,
    "aria-label": _("Camera view") });
  const canvas = h("canvas", { hidden: true });
  const status = h("p", { className: "status", role: "status", id: "scan-status" });
  const warning = h("p", { className: "error scan-mismatch", role: "alert", id: "scan-mismatch" });
  let stream = null;
  let timer = null;
  const stop = () => {
    clearInterval(timer);
    timer = null;
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  };
  const onText = async (text) => {
    if (!FINGERPRINT.test(text.trim())) {
      status.textContent = _("This QR code is not a Carnet fingerprint. Scan the one “My fingerprint” shows.");
      return;
    }
    stop();
    if (sameFingerprint(text, expected)) {
      status.textContent = _("The scanned fingerprint matches.");
      await onMatch();
    } else {
      status.textContent = "";
      warning.textContent = _("The scanned fingerprint does NOT match the one expected. Do not go on: someone may have replaced this person's keys. Tell an administrator.");
    }
  };
  const start = async () => {
    warning.textContent = "";
    status.textContent = _("Starting the camera…");
    let jsQR;
    try {
      jsQR = await loadDecoder();
    } catch {
      status.textContent = _("The QR code reader is not on this device yet: try again with a network, or compare the digits instead.");
      return;
    }
    try {
      stream = await openCamera();
    } catch (error) {
      status.textContent = cameraProblemText(error);
      return;
    }
    // Registered once the screen is shown: the next screen drawn stops the camera.
    whenLeft(stop);
    video.srcObject = stream;
    video.hidden = false;
    startButton.hidden = true;
    stopButton.hidden = false;
    await video.play().catch(() => {});
    status.textContent = _("Hold the other phone's QR code in front of the camera.");
    timer = setInterval(() => {
      // Left without "Stop" (another screen, a lock): the camera goes off with the view.
      if (!video.isConnected) return stop();
      const text = decodeFrame(jsQR, video, canvas);
      if (text !== null) onText(text);
    }, SCAN_EVERY_MS);
  };
  const startButton = h("button", { type: "button", id: "scan-qr", onclick: start }, _("Scan the QR code"));
  const stopButton = h("button", { type: "button", id: "scan-stop", hidden: true, onclick: stop }, _("Stop the camera"));
  return h("div", { className: "scan" }, startButton, stopButton, video, canvas, status, warning);
}
