// Placeholder entry point of the app shell, to be replaced by the app itself. It only registers
// the service worker and reveals the update banner's container when a new version is ready.
import { registerServiceWorker } from "../sw-client.js";

registerServiceWorker({
  onUpdateReady() {
    document.getElementById("app-update").hidden = false;
  },
});
