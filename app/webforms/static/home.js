// A phone's forms list: what waits to be sent, the drafts kept here, and everything needed to
// fill her forms with no connection (the engine, each form's page, file, media and lists),
// fetched now while there is one.
import * as store from "./store.js";

const body = document.body;
const base = body.dataset.base;

async function drafts() {
  const rows = await store.drafts(base);
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

async function prepare() {
  if (!navigator.onLine) return;
  store.say("status", store.t("preparing"), "preparing");
  try {
    if (!(await controlled())) throw new Error("no service worker");
    const engine = JSON.parse(body.dataset.engine || "[]");
    const own = JSON.parse(body.dataset.static || "[]");
    // this list itself and Doorstep's scripts, which may have loaded before the worker ran
    await Promise.all([location.pathname, ...own, ...engine].map(
      (url) => fetch(url, { credentials: "omit" }).then((r) => r.blob())));
    for (const link of document.querySelectorAll("#forms a[data-form]")) {
      const { xml, hash, manifest } = link.dataset;
      await fetch(link.href, { credentials: "omit" });      // the page, kept by the worker
      await store.file(xml, hash);
      const media = await store.manifest(manifest);
      for (const entry of Object.values(media)) await store.file(entry.url, entry.hash);
    }
    store.say("status", store.t("ready"), "ready");
  } catch {
    store.say("status", "");
  }
}

async function start() {
  await store.persist();
  try {
    await store.showOutbox(base);
    await drafts();
  } catch {
    store.say("status", store.t("storage"), "storage");
    return;
  }
  await store.registerWorker();
  await store.keepSending(base, base);
  await prepare();
}

start();
