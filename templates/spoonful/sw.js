{% autoescape off %}// Spoonful's service worker, served from /sw.js by spoonful/app_shell.py.
// It keeps the app shell (stylesheets, scripts, icons, the offline page) and the last few
// pages the server marked safe to keep (X-Spoonful-Cacheable: 1), and shows push
// notifications. Pages always come from the network first; a kept copy or the offline page
// is shown only when the network fails.
"use strict";

const VERSION = "{{ version }}";
const SHELL_URLS = {{ shell_urls }};
const OFFLINE_URL = {{ offline_url }};
const NOTIFICATION_ICON = {{ notification_icon }};
const PAGES_KEPT = {{ pages_kept }};
// A kept page is not shown after the session that read it would have ended anyway.
const PAGE_MAX_AGE_MS = {{ page_max_age_seconds }} * 1000;

const SHELL_CACHE = "spoonful-shell-" + VERSION;
// Kept pages live in a cache named for the sign-in that read them (X-Spoonful-Viewer): a page
// answered for anyone else (signed out, another member, a session that ended) drops them.
const PAGES_PREFIX = "spoonful-pages-";
const SHELL_PATHS = new Set(SHELL_URLS.map((url) => new URL(url, self.location.origin).pathname));

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    const statics = SHELL_URLS.filter((url) => url !== OFFLINE_URL);
    await cache.addAll(statics);
    // The offline page is fetched signed out, so it can never hold a member's name.
    const offline = await fetch(new Request(OFFLINE_URL, { credentials: "omit", cache: "reload" }));
    if (!offline.ok) {
      throw new Error("offline page: " + offline.status);
    }
    await cache.put(OFFLINE_URL, offline);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith("spoonful-shell-") && name !== SHELL_CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function dropPages(exceptName) {
  const names = await caches.keys();
  await Promise.all(names
    .filter((name) => name.startsWith(PAGES_PREFIX) && name !== exceptName)
    .map((name) => caches.delete(name)));
}

async function rememberPage(request, response) {
  const viewer = response.headers.get("X-Spoonful-Viewer") || "anonymous";
  const name = PAGES_PREFIX + viewer;
  await dropPages(name);
  const cache = await caches.open(name);
  // Re-adding moves a page to the end, so the least recently read go first.
  await cache.delete(request, { ignoreVary: true });
  if (response.status !== 200 || response.headers.get("X-Spoonful-Cacheable") !== "1") {
    return;  // gone, forbidden or not to be kept: no old copy survives either
  }
  // Stamped with the time it was kept (no Date header is guaranteed).
  const headers = new Headers(response.headers);
  headers.set("X-Spoonful-Kept-At", String(Date.now()));
  const body = await response.blob();
  await cache.put(request, new Response(body, { status: 200, statusText: response.statusText, headers: headers }));
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - PAGES_KEPT))) {
    await cache.delete(old, { ignoreVary: true });
  }
}

async function keptPage(request) {
  const names = (await caches.keys()).filter((name) => name.startsWith(PAGES_PREFIX));
  for (const name of names) {
    const cache = await caches.open(name);
    const hit = await cache.match(request, { ignoreVary: true });
    if (!hit) {
      continue;
    }
    const keptAt = Number(hit.headers.get("X-Spoonful-Kept-At") || 0);
    if (Date.now() - keptAt <= PAGE_MAX_AGE_MS) {
      return hit;
    }
    await cache.delete(request, { ignoreVary: true });
  }
  return undefined;
}

async function fromNetworkFirst(event) {
  try {
    const response = await fetch(event.request);
    if (response.type === "basic") {
      event.waitUntil(rememberPage(event.request, response.clone()));
    }
    return response;
  } catch (error) {
    const kept = await keptPage(event.request);
    if (kept) {
      return kept;
    }
    const offline = await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE });
    return offline || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fromNetworkFirst(event));
    return;
  }
  if (SHELL_PATHS.has(url.pathname)) {
    event.respondWith(
      caches.match(request, { cacheName: SHELL_CACHE }).then((hit) => hit || fetch(request))
    );
  }
  // Everything else (catch-up, drafts, reactions) goes to the network untouched.
});

// The page says so when its member signs out (the response's Clear-Site-Data does the
// same where the browser supports it).
self.addEventListener("message", (event) => {
  if (event.origin && event.origin !== self.location.origin) {
    return;
  }
  if (event.data && event.data.type === "signed-out") {
    event.waitUntil(dropPages(null));
  }
});

function sameOriginUrl(value) {
  try {
    const url = new URL(value, self.location.origin);
    if (url.origin === self.location.origin) {
      return url.href;
    }
  } catch (error) {
    // not a URL: fall through to the home page
  }
  return new URL("/", self.location.origin).href;
}

// Payloads are {"title", "body", "url"} and carry no private text (notifications/push).
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const title = typeof data.title === "string" && data.title ? data.title : "Spoonful";
  const body = typeof data.body === "string" ? data.body : "";
  event.waitUntil(self.registration.showNotification(title, {
    body: body,
    icon: NOTIFICATION_ICON,
    lang: "en-GB",
    data: { url: sameOriginUrl(data.url || "/") },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = sameOriginUrl(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (client.url === target && "focus" in client) {
        return client.focus();
      }
    }
    return self.clients.openWindow(target);
  })());
});
{% endautoescape %}
