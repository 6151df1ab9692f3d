// What a browser keeps for a phone's link: the outbox of filled forms waiting to be sent and
// the drafts (IndexedDB, which survives closing the browser), the form files (Cache Storage),
// and the sender that empties the outbox, oldest first, through the link's OpenRosa
// submission endpoint. A form is sent by its instanceID, which the server takes once: a send
// cut off by a closed page or a lost connection is simply sent again.

const DB = "doorstep-webforms";
const OUTBOX = "outbox";
const DRAFTS = "drafts";
const FILES = "doorstep-webforms-files";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore(OUTBOX, { keyPath: "instanceID" }).createIndex("owner", "owner");
      db.createObjectStore(DRAFTS, { keyPath: "id" }).createIndex("owner", "owner");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      let result;
      Promise.resolve(work(tx.objectStore(store))).then((r) => { result = r; });
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

function all(store, owner) {
  return run(store, "readonly", (s) => new Promise((resolve) => {
    const request = s.index("owner").getAll(owner);
    request.onsuccess = () => resolve(request.result);
  }));
}

// ---- the outbox --------------------------------------------------------------------------

export function queue(entry) {
  return run(OUTBOX, "readwrite", (s) => { s.put(entry); });
}

export async function waiting(owner) {
  const rows = await all(OUTBOX, owner);
  return rows.sort((a, b) => a.queued - b.queued);
}

function remove(store, key) {
  return run(store, "readwrite", (s) => { s.delete(key); });
}

// A form the server refused, deleted by the person who filled it (as Collect lets her delete
// a finalised form it has not sent).
export function discard(instanceID) {
  return remove(OUTBOX, instanceID);
}

export function instanceIdOf(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const found = doc.getElementsByTagNameNS("*", "instanceID")[0];
  return found ? found.textContent.trim() : "";
}

function messageOf(text) {
  const doc = new DOMParser().parseFromString(text || "", "application/xml");
  const found = doc.getElementsByTagNameNS("*", "message")[0];
  return found ? found.textContent.trim() : (text || "").slice(0, 200);
}

// A request to the link's OpenRosa endpoints: the key is in the URL, so no cookie goes along.
function openrosa(url, init = {}) {
  return fetch(url, { ...init, credentials: "omit",
                      headers: { "X-OpenRosa-Version": "1.0", ...(init.headers || {}) } });
}

let sending = null;

// Send what waits, oldest first; stop at the first that cannot go now (no connection, a
// server error) so the order is kept. Returns {sent, left, refused, revoked}.
// retry=true (a page just opened): forms the server refused are offered again once, since a
// supervisor may have reopened a closed form or given a form back to the phone meanwhile.
export function sendAll(base, owner, retry = false) {
  if (!sending) {
    const work = async () => {
      const outcome = { sent: 0, left: 0, refused: [], revoked: false };
      for (const entry of await waiting(owner)) {
        if (entry.refused && !retry) { outcome.refused.push(entry); continue; }
        let response;
        try {
          response = await openrosa(`${base}/submission`, {
            method: "POST", body: formData(entry), cache: "no-store" });
        } catch {
          break;                                   // no connection: try again later
        }
        if (response.status === 201 || response.status === 202) {
          await remove(OUTBOX, entry.instanceID);
          outcome.sent += 1;
        } else if (response.status === 401 || response.status === 403) {
          const gone = await refusedLink(base);
          if (gone === null) break;                // no connection to ask: later
          if (gone) {
            outcome.revoked = true;
            await forget(base);
            break;
          }
          await refuse(entry, response, outcome);
        } else if (response.status >= 400 && response.status < 500 &&
                   response.status !== 408 && response.status !== 429) {
          await refuse(entry, response, outcome);
        } else {
          break;                                   // the server is busy or failing: later
        }
      }
      outcome.left = (await waiting(owner)).length;
      return outcome;
    };
    // One sender per browser, whichever of the link's pages are open.
    const locked = navigator.locks
      ? navigator.locks.request("doorstep-outbox", work) : work();
    sending = locked.finally(() => { sending = null; });
  }
  return sending;
}

async function refuse(entry, response, outcome) {
  entry.refused = messageOf(await response.text());
  await queue(entry);
  outcome.refused.push(entry);
}

// A 403 refuses a revoked key, but also one form no longer given to this phone (403.3):
// only when the link's form list is refused too is the link gone (null: cannot tell now).
async function refusedLink(base) {
  try {
    const response = await openrosa(`${base}/formList`, { cache: "no-store" });
    if (response.ok) return false;
    return response.status === 401 || response.status === 403 ? true : null;
  } catch {
    return null;
  }
}

function formData(entry) {
  const data = new FormData();
  data.append("xml_submission_file",
              new Blob([entry.xml], { type: "text/xml" }), "xml_submission_file.xml");
  for (const file of entry.attachments || []) {
    data.append(file.name, file.blob, file.name);
  }
  return data;
}

// ---- drafts ------------------------------------------------------------------------------

export function saveDraft(draft) {
  return run(DRAFTS, "readwrite", (s) => { s.put(draft); });
}

export async function drafts(owner) {
  const rows = await all(DRAFTS, owner);
  return rows.sort((a, b) => b.saved - a.saved);
}

export function draft(id) {
  return run(DRAFTS, "readonly", (s) => new Promise((resolve) => {
    const request = s.get(id);
    request.onsuccess = () => resolve(request.result);
  }));
}

export function dropDraft(id) {
  return remove(DRAFTS, id);
}

// ---- form files --------------------------------------------------------------------------

// A form file by URL: from this browser's copy while its hash (from the form list or the
// manifest) is unchanged, else from the server, kept for next time and for offline use.
// keep=false (the console's preview): straight from the server with the console's cookie,
// and nothing kept (its answers say Vary: *, which Cache Storage refuses anyway).
export async function file(url, hash, keep = true) {
  if (!keep) return fetch(url, { credentials: "same-origin" });
  // Plain HTTP (not localhost) has no Cache Storage: the form works while connected
  if (typeof caches === "undefined") return openrosa(url);
  const cache = await caches.open(FILES);
  const key = `doorstep-hash:${url}`;
  if (hash && localStorage.getItem(key) === hash) {
    const kept = await cache.match(url);
    if (kept) return kept;
  }
  try {
    const response = await openrosa(url);
    if (response.ok) {
      await cache.put(url, response.clone());
      if (hash) localStorage.setItem(key, hash);
      else localStorage.removeItem(key);
      return response;
    }
    if (response.status === 401 || response.status === 403) return response;
  } catch {
    // no connection: what was kept
  }
  const kept = await cache.match(url);
  if (kept) return kept;
  throw new Error(`not available offline: ${url}`);
}

// The form's media and lists: {file name: {url, hash}} from its manifest (kept for offline).
export async function manifest(url, keep = true) {
  if (!url) return {};
  const response = await file(url, "", keep);
  if (!response.ok) return {};
  const doc = new DOMParser().parseFromString(await response.text(), "application/xml");
  const out = {};
  for (const node of doc.getElementsByTagNameNS("*", "mediaFile")) {
    const field = (name) => {
      const found = node.getElementsByTagNameNS("*", name)[0];
      return found ? found.textContent.trim() : "";
    };
    out[field("filename")] = { url: field("downloadUrl"), hash: field("hash") };
  }
  return out;
}

// A link the server refuses (revoked): forget its form files, lists of women included, which
// are kept under its OpenRosa base. Its unsent forms and drafts stay (they are hers).
export async function forget(base) {
  if (typeof caches === "undefined") return;
  const prefix = new URL(`${base}/`, location.href).href;
  const cache = await caches.open(FILES);
  for (const request of await cache.keys()) {
    if (request.url.startsWith(prefix)) {
      await cache.delete(request);
      localStorage.removeItem(`doorstep-hash:${new URL(request.url).pathname}`);
      localStorage.removeItem(`doorstep-hash:${request.url}`);
    }
  }
}

export async function persist() {
  // Ask the browser not to clear this site's storage when space runs low.
  if (navigator.storage && navigator.storage.persist) {
    try { await navigator.storage.persist(); } catch { /* best effort */ }
  }
}

// ---- the status lines -------------------------------------------------------------------

// A status line's text, and its state as data-state (what it says, in any language).
export function say(id, text, state = "") {
  const node = document.getElementById(id);
  if (node) {
    node.textContent = text;
    node.dataset.state = state;
  }
}

export function t(name, values = {}) {
  let text = document.body.dataset[`t${name[0].toUpperCase()}${name.slice(1)}`] || name;
  for (const [key, value] of Object.entries(values)) text = text.replace(`{${key}}`, value);
  return text;
}

export async function showOutbox(owner) {
  const rows = await waiting(owner);
  say("outbox", rows.length ? t("waiting", { n: rows.length }) : t("noneWaiting"),
      String(rows.length));
  return rows;
}

// What a send came to, on the status line when it is news: the link revoked, or a form
// refused. Returns whether it said anything.
export function sayOutcome(outcome) {
  if (outcome.revoked) say("status", t("revoked"), "revoked");
  else if (outcome.refused.length) {
    say("status", t("refused", { message: outcome.refused[0].refused }), "refused");
  } else return false;
  return true;
}

// Send now and keep trying: when the connection returns, and every half minute meanwhile.
export function keepSending(base, owner) {
  let first = true;
  const attempt = async () => {
    if (navigator.onLine) {
      const rows = await waiting(owner);
      if (rows.length) say("outbox", t("sending"), "sending");
      sayOutcome(await sendAll(base, owner, first));
      first = false;
    } else {
      say("status", t("offline"), "offline");
    }
    await showOutbox(owner);
  };
  window.addEventListener("online", () => { say("status", ""); attempt(); });
  window.addEventListener("offline", () => say("status", t("offline"), "offline"));
  setInterval(attempt, 30000);
  return attempt();
}

export function registerWorker() {
  const url = document.body.dataset.sw;
  if (url && "serviceWorker" in navigator) {
    return navigator.serviceWorker.register(url).catch(() => null);
  }
  return Promise.resolve(null);
}
