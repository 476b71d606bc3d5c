// Carnet's service worker: keeps the app shell on the device so the app opens without a network.
//
// Rendered by webapp/pwa.py when the server starts: VERSION and PRECACHE are baked in. The cache
// holds exactly PRECACHE, fetched and checked at install; nothing is ever added at run time, and
// no API response is ever cached (the API carries people's data; the shell carries none).
"use strict";

const VERSION = "{{ version }}";
// Every URL of the shell with the SHA-256 of the bytes the server sends for it.
const PRECACHE = {{ precache_json }};
const CACHE_PREFIX = "carnet-shell-";
const CACHE_NAME = CACHE_PREFIX + VERSION;
const SHELL_PATH = "/app";

self.addEventListener("install", (event) => {
  // No skipWaiting() here: a new version that took over open tabs would mix old pages with new
  // code. The page asks for it (SKIP_WAITING) once the person accepts the update.
  event.waitUntil(precache());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const data = event.data;
  if (!data || typeof data !== "object") return;
  if (data.type === "SKIP_WAITING") {
    self.skipWaiting();
  } else if (data.type === "GET_VERSION" && event.ports[0]) {
    event.ports[0].postMessage({ type: "VERSION", version: VERSION });
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Said twice on purpose: these never appear in PRECACHE, and must never be answered from it.
  if (url.pathname.startsWith("/api/") || url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    // The shell, whatever its query or fragment (the app routes on them); other pages are the
    // server's, online only, and go to the network without this worker.
    if (url.pathname === SHELL_PATH) event.respondWith(fromCache(SHELL_PATH, request));
    return;
  }
  if (url.search !== "" || !Object.hasOwn(PRECACHE, url.pathname)) return;
  event.respondWith(shellFile(event, url.pathname));
});

async function precache() {
  // Everything is fetched and checked before anything is written: a cache named after VERSION
  // only ever holds the bytes of VERSION, even when the server changes during the install.
  const checked = await Promise.all(Object.entries(PRECACHE).map(async ([path, expected]) => {
    // The shell is the same for everybody, so it is fetched without cookies: nothing tied to a
    // session can reach the cache. "reload" skips the HTTP cache, which may hold older bytes.
    const response = await fetch(new Request(path, { cache: "reload", credentials: "omit", redirect: "error" }));
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
    const digest = await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer());
    if (hex(digest) !== expected) throw new Error(`${path}: not the file of version ${VERSION}`);
    return [path, response];
  }));
  const cache = await caches.open(CACHE_NAME);
  await Promise.all(checked.map(([path, response]) => cache.put(path, response)));
}

async function shellFile(event, path) {
  // Pages other than the shell (login, enrolment, administration) are rendered by the server of
  // today: the files they load must be today's too, not the ones of the version kept here.
  if (!(await fromShell(event.clientId))) return fetch(event.request);
  return fromCache(path, event.request);
}

async function fromShell(clientId) {
  // Requests the browser makes for no page (the manifest, the icons) have no client; files read by
  // the shell's own workers come from a worker whose script is part of the shell.
  if (!clientId) return true;
  const client = await self.clients.get(clientId);
  if (!client) return true;
  const path = new URL(client.url).pathname;
  return path === SHELL_PATH || (client.type === "worker" && Object.hasOwn(PRECACHE, path));
}

async function fromCache(path, request) {
  // Only this version's cache: another one may be a newer version still installing. A response
  // from the cache keeps the headers it came with, the Content-Security-Policy among them.
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(path, { ignoreVary: true });
  return cached || fetch(request);
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
