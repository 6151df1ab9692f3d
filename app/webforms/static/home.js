// A phone's forms list: what waits to be sent, the drafts kept here, and everything needed to
// fill her forms with no connection (the engine, each form's page, file, media and lists),
// fetched now while there is one.
import * as store from "./store.js";

const body = document.body;
const base = body.dataset.base;
const owner = body.dataset.owner;        // the phone (app user): kept across a new code

async function drafts() {
  const rows = await store.drafts(owner);
  const list = document.getElementById("drafts");
  list.replaceChildren();
  for (const row of rows) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `${row.page}?draft=${encodeURIComponent(row.id)}`;
    link.textContent = `${store.t("resume")}: ${row.title}`;
    link.dataset.draft = row.id;
    const when = document.createElement("span");
    when.className = "muted";
    when.textContent = ` (${store.t("savedAt", { time: new Date(row.saved).toLocaleString() })})`;
    item.append(link, when);
    list.append(item);
  }
  document.getElementById("drafts-section").hidden = rows.length === 0;
}

// Forms the server refused: its reason, and a way for her to delete one for good.
async function refused() {
  const rows = (await store.waiting(owner)).filter((row) => row.refused);
  const list = document.getElementById("refused");
  list.replaceChildren();
  for (const row of rows) {
    const link = document.querySelector(`#forms a[data-form="${CSS.escape(row.form)}"]`);
    const item = document.createElement("li");
    const title = document.createElement("strong");
    title.textContent = link ? link.textContent : row.form;
    const reason = document.createElement("span");
    reason.textContent = ` ${row.refused} `;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = store.t("discard");
    button.addEventListener("click", async () => {
      if (!window.confirm(store.t("discardConfirm"))) return;
      await store.discard(row.instanceID);
      await store.showOutbox(owner);
      await refused();
    });
    item.append(title, reason, button);
    list.append(item);
  }
  document.getElementById("refused-section").hidden = rows.length === 0;
}

// The service worker keeps only what passes through it, and it controls a page only from
// its first activation on: until then this page's own requests went around it.
function controlled(ms = 10000) {
  if (!("serviceWorker" in navigator)) return Promise.resolve(false);
  if (navigator.serviceWorker.controller) return Promise.resolve(true);
  return new Promise((resolve) => {
    navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true),
                                             { once: true });
    setTimeout(() => resolve(Boolean(navigator.serviceWorker.controller)), ms);
  });
}

// Web Forms' map chunk (OpenLayers, a fifth of the engine's bytes): the engine loads it only
// for geopoint, geotrace and geoshape questions, so it is kept only when a form has one.
const MAPS = /\/MapBlock-[^/]*\.js$/;
const GEO = /type="geo(point|trace|shape)"/;
const PAGES = "doorstep-webforms-pages";          // sw.js's copies of pages and scripts
const loadedByWorker = Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);

async function kept(url) {
  const { origin, pathname } = new URL(url, location.href);
  return Boolean(await (await caches.open(PAGES)).match(origin + pathname, { ignoreVary: true }));
}

function fetchAll(urls) {
  return Promise.all(urls.map((url) => fetch(url, { credentials: "omit" }).then((r) => r.blob())));
}

// What is fetched again on a later open is only what may have changed: this list (loaded
// through the worker), each form's manifest (its lists' hashes), and a form's page when the
// release or the form's version changed. The rest answers from what this browser kept.
async function prepare() {
  if (!navigator.onLine) return;
  if (!window.isSecureContext) {
    // browsers run service workers only on HTTPS (and localhost): no offline pages here
    store.say("status", store.t("insecure"), "insecure");
    return;
  }
  store.say("status", store.t("preparing"), "preparing");
  try {
    if (!(await controlled())) throw new Error("no service worker");
    const engine = JSON.parse(body.dataset.engine || "[]");
    const own = JSON.parse(body.dataset.static || "[]");
    const release = `${body.dataset.static}|${body.dataset.engine}|${document.documentElement.lang}`;
    const releaseKey = `doorstep-release:${base}`;
    const sameRelease = localStorage.getItem(releaseKey) === release;
    // this list and Doorstep's scripts, when they may have loaded around the worker
    const mine = [];
    if (!loadedByWorker) mine.push(location.pathname);
    for (const url of own) {
      if (!loadedByWorker || !sameRelease || !(await kept(url))) mine.push(url);
    }
    await fetchAll([...mine, ...engine.filter((url) => !MAPS.test(url))]);
    let maps = false;
    for (const link of document.querySelectorAll("#forms a[data-form]")) {
      const { xml, hash, manifest } = link.dataset;
      const pageKey = `doorstep-page:${link.pathname}`;
      if (!sameRelease || localStorage.getItem(pageKey) !== hash || !(await kept(link.href))) {
        await fetch(link.href, { credentials: "omit" });    // the page, kept by the worker
        localStorage.setItem(pageKey, hash);
      }
      if (GEO.test(await (await store.file(xml, hash)).text())) maps = true;
      const media = await store.manifest(manifest);
      for (const entry of Object.values(media)) await store.file(entry.url, entry.hash);
    }
    if (maps) await fetchAll(engine.filter((url) => MAPS.test(url)));
    localStorage.setItem(releaseKey, release);
    store.say("status", store.t("ready"), "ready");
  } catch {
    store.say("status", "");
  }
}

async function start() {
  await store.persist();
  try {
    await store.showOutbox(owner);
    await drafts();
  } catch {
    store.say("status", store.t("storage"), "storage");
    return;
  }
  await store.registerWorker();
  await store.keepSending(base, owner);
  await refused();
  await prepare();
}

start();
