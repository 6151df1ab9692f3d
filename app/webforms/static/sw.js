// The browser forms' service worker (scope /-/web/): it keeps the pages of a phone's link and
// the engine so they open with no connection. Pages and Doorstep's own scripts are asked of
// the server first (a revoked link must hear so) and kept; the engine's files never change
// under their versioned path, so they come from the copy once kept. A link the server now
// refuses (403) is forgotten, its form files too. Form files and the outbox are the pages' own (store.js).
const PAGES = "doorstep-webforms-pages";
const ENGINE = "doorstep-webforms-engine";
const FILES = "doorstep-webforms-files";         // store.js's form files
const scope = new URL(self.registration.scope);

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== scope.origin ||
      !url.pathname.startsWith(scope.pathname) || url.pathname.endsWith("/sw.js")) return;
  if (url.pathname.startsWith(`${scope.pathname}engine/`)) {
    event.respondWith(cacheFirst(request));
  } else {
    event.respondWith(networkFirst(request, url));
  }
});

async function cacheFirst(request) {
  const cache = await caches.open(ENGINE);
  // a module script's request carries Origin and a prefetch's does not: the same file
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
    // a new release's engine: the previous one's 4.6 MB are not needed again
    const release = new URL(request.url).pathname.split("/").slice(0, -1).join("/");
    for (const old of await cache.keys()) {
      if (!new URL(old.url).pathname.startsWith(`${release}/`)) await cache.delete(old);
    }
  }
  return response;
}

function linkPrefix(url) {
  // /-/web/<token>/ of a link's page; "" for the shared static files
  const rest = url.pathname.slice(scope.pathname.length).split("/");
  return rest[0] && rest[0] !== "static" ? `${scope.pathname}${rest[0]}/` : "";
}

async function networkFirst(request, url) {
  const cache = await caches.open(PAGES);
  // a draft's ?draft= and a language switch open the same kept page
  const key = new Request(url.origin + url.pathname);
  let response;
  try {
    response = await fetch(request);
  } catch {
    const kept = await cache.match(key, { ignoreVary: true });
    if (kept) return kept;
    return new Response("Offline / 无网络", { status: 503,
      headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
  if (response.ok) {
    await cache.put(key, response.clone());
  } else if (response.status === 403 || response.status === 401) {
    const prefix = linkPrefix(url);
    if (prefix) {
      for (const old of await cache.keys()) {
        if (new URL(old.url).pathname.startsWith(prefix)) await cache.delete(old);
      }
      // and the form files the pages kept for it (store.js), lists of women included
      const token = prefix.slice(scope.pathname.length);
      const files = await caches.open(FILES);
      const openrosa = `${scope.pathname.replace(/-\/web\/$/, "")}v1/key/${token}`;
      for (const old of await files.keys()) {
        if (new URL(old.url).pathname.startsWith(openrosa)) await files.delete(old);
      }
    }
  }
  return response;
}
