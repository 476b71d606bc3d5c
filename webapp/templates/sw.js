// Carnet's service worker: keeps the app shell on the device so the app opens without a network.
//
// Rendered by webapp/pwa.py when the server starts: VERSION, PRECACHE and GROUPS are baked in.
// The cache holds files of PRECACHE only, each checked against its hash, by group: the core at
// install on every device; a role's screens and a language's catalog once the page has written
// down the device's role and language (app/sw-groups.js, in a cache of their own: two codes, never
// people's data) and asks (KEEP_GROUPS). Each install reads that list too, so a new version
// precaches the same groups before it takes over. Nothing else is ever cached, and no API
// response ever is (the API carries people's data; the shell carries none).
"use strict";

const VERSION = "{{ version }}";
// Every URL the app may keep, with the SHA-256 of the bytes the server sends for it.
const PRECACHE = {{ precache_json }};
// The URLs of PRECACHE by group: "core", "role:<role>", "language:<code>".
const GROUPS = {{ groups_json }};
const CACHE_PREFIX = "carnet-shell-";
const CACHE_NAME = CACHE_PREFIX + VERSION;
const SHELL_PATH = "/app";
// Which groups this device keeps beyond the core: {role, languages}, one JSON response written by
// the page (app/sw-groups.js). Not named after a version: every version reads it.
const KEPT_CACHE = "carnet-kept-groups";
const KEPT_KEY = "/carnet-kept-groups.json";
// The KEEP_GROUPS asked so far, one at a time.
let keeping = Promise.resolve();

self.addEventListener("install", (event) => {
  // No skipWaiting() here: a new version that took over open tabs would mix old pages with new
  // code. The page asks for it (SKIP_WAITING) once the person accepts the update.
  event.waitUntil(keptGroups().then((kept) => precache(groupNames(kept))));
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
  } else if (data.type === "KEEP_GROUPS") {
    keeping = keeping.then(keptGroups).then((kept) => {
      const names = groupNames(kept);
      return precache(names).then(() => names);
    }).then(
      (groups) => ({ type: "GROUPS_KEPT", groups }),
      (error) => ({ type: "GROUPS_NOT_KEPT", error: String(error) }));
    event.waitUntil(keeping.then((reply) => event.ports[0]?.postMessage(reply)));
  } else if (data.type === "FORGET_GROUPS") {
    keeping = keeping.then(forgetGroups).then(() => ({ type: "GROUPS_FORGOTTEN" }),
      (error) => ({ type: "GROUPS_NOT_FORGOTTEN", error: String(error) }));
    event.waitUntil(keeping.then((reply) => event.ports[0]?.postMessage(reply)));
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

// The groups' files not in this version's cache yet, fetched and checked before any is written:
// a cache named after VERSION only ever holds the bytes of VERSION, even when the server changes
// during the install.
async function precache(names) {
  const held = await heldPaths();
  const wanted = new Set(names.flatMap((name) => GROUPS[name]).filter((path) => !held.has(path)));
  const checked = await Promise.all([...wanted].map(fetchChecked));
  if (!checked.length) return;
  const cache = await shellCache();
  await Promise.all(checked.map(([path, response]) => cache.put(path, response)));
}

async function heldPaths() {
  // Asked without opening the cache, which would create it: a failed install leaves none.
  if (!(await caches.has(CACHE_NAME))) return new Set();
  return new Set((await (await shellCache()).keys()).map((request) => new URL(request.url).pathname));
}

async function fetchChecked(path) {
  // The shell is the same for everybody, so it is fetched without cookies: nothing tied to a
  // session can reach the cache. "reload" skips the HTTP cache, which may hold older bytes.
  const response = await fetch(new Request(path, { cache: "reload", credentials: "omit", redirect: "error" }));
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
  const digest = await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer());
  if (hex(digest) !== PRECACHE[path]) throw new Error(`${path}: not the file of version ${VERSION}`);
  return [path, response];
}

// The core, then the groups a device keeps that this version has (a role or a language it no
// longer has is left out).
function groupNames({ role = null, languages = [] }) {
  return ["core", `role:${role}`, ...languages.map((language) => `language:${language}`)]
    .filter((name) => Object.hasOwn(GROUPS, name));
}

async function keptGroups() {
  // caches.match, not caches.open: a device that never named a group has no such cache.
  const response = await caches.match(KEPT_KEY, { cacheName: KEPT_CACHE });
  if (!response) return {};
  try {
    const { role = null, languages = [] } = await response.json();
    return { role: typeof role === "string" ? role : null, languages: languages.filter((code) => typeof code === "string") };
  } catch {
    return {};
  }
}

async function shellFile(event, path) {
  // Pages other than the shell (login, enrolment, administration) are rendered by the server of
  // today: the files they load must be today's too, not the ones of the version kept here.
  if (!(await fromShell(event.clientId))) return fetch(event.request);
  return fromCache(path, event.request);
}

// After a wipe: back to the core alone, so that nothing left says which role used the device.
async function forgetGroups() {
  await caches.delete(KEPT_CACHE);
  if (!(await caches.has(CACHE_NAME))) return;
  const core = new Set(GROUPS.core);
  const cache = await shellCache();
  const others = (await cache.keys()).filter((request) => !core.has(new URL(request.url).pathname));
  await Promise.all(others.map((request) => cache.delete(request)));
}

// Whether each client (a page, a worker) is the shell, asked once per client: a client's URL
// does not change, and clients.get costs on every module of a start.
const shellClients = new Map();

function fromShell(clientId) {
  // Requests the browser makes for no page (the manifest, the icons) have no client; files read by
  // the shell's own workers come from a worker whose script is part of the shell.
  if (!clientId) return true;
  if (!shellClients.has(clientId)) {
    if (shellClients.size > 64) shellClients.clear();
    shellClients.set(clientId, self.clients.get(clientId).then((client) => {
      if (!client) return true;
      const path = new URL(client.url).pathname;
      return path === SHELL_PATH || (client.type === "worker" && Object.hasOwn(PRECACHE, path));
    }));
  }
  return shellClients.get(clientId);
}

// This version's cache, opened once. Only this one: another may be a newer version still installing.
let opened = null;

function shellCache() {
  opened ??= caches.open(CACHE_NAME);
  return opened;
}

async function fromCache(path, request) {
  // A response from the cache keeps the headers it came with, the Content-Security-Policy among
  // them. A file of a group this device does not keep comes from the network.
  const cached = await (await shellCache()).match(path, { ignoreVary: true });
  return cached || fetch(request);
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
