// One form, filled in ODK Web Forms. "Send" keeps the filled form in this browser's outbox
// first, then sends it (now, or when the connection returns); a half-filled form is kept as a
// draft every few seconds and when the page is left, and opened again from the forms list.
// In the console's preview (data-preview) nothing is kept or sent.
import "./uuid.js";                // first: the engine needs crypto.randomUUID on plain HTTP
import { createApp, h } from "vue";
import { OdkWebForm, POST_SUBMIT__NEW_INSTANCE, webFormsPlugin } from "@getodk/web-forms";
import { nameControls } from "./a11y.js";
import { forWebForms } from "./compat.js";
import * as store from "./store.js";

const body = document.body;
const { base, owner, form: formId, hash, xml: xmlUrl, manifest: manifestUrl } = body.dataset;
const preview = body.dataset.preview === "1";
const DRAFT_EVERY = 5000;     // ms between draft saves while the form is open

// The engine's form state (its root node), found in the mounted component tree: Web Forms
// 0.22 offers no event for "the answers changed", so drafts read the instance from there.
function findRoot(vnode, depth = 0) {
  if (!vnode || depth > 40) return null;
  const form = vnode.props && vnode.props.form;
  if (form && form.instanceState) return form;
  if (vnode.component) return findRoot(vnode.component.subTree, depth + 1);
  if (Array.isArray(vnode.children)) {
    for (const child of vnode.children) {
      const found = findRoot(child, depth + 1);
      if (found) return found;
    }
  }
  return null;
}

// A resumed draft was opened in Web Forms' edit mode, which gives the form a new instanceID
// and names the draft's as deprecatedID; a draft was never sent, so it keeps its own id.
function asNewForm(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const old = doc.getElementsByTagNameNS("*", "deprecatedID")[0];
  if (!old) return xml;
  const id = doc.getElementsByTagNameNS("*", "instanceID")[0];
  if (id) id.textContent = old.textContent;
  old.remove();
  return new XMLSerializer().serializeToString(doc);
}

async function attachments(instance) {
  const out = [];
  for (const file of instance.attachments || []) {
    out.push({ name: file.name, blob: new Blob([await file.arrayBuffer()], { type: file.type }) });
  }
  return out;
}

async function start() {
  const mount = document.getElementById("form");
  let media;
  let formXml;
  try {
    if (!preview) await store.registerWorker();
    const response = await store.file(xmlUrl, hash, !preview);
    if (!response.ok) throw new Error(`${response.status}`);
    formXml = forWebForms(await response.text());
    media = await store.manifest(manifestUrl, !preview);
  } catch (error) {
    mount.textContent = store.t("loadFailed", { message: error.message });
    return;
  }
  const params = new URLSearchParams(location.search);
  const asked = params.get("draft") ? await store.draft(params.get("draft")) : null;
  // only this phone's own draft of this form (a shared phone may hold another's)
  const resumed = asked && asked.owner === owner && asked.form === formId ? asked : null;
  let draftId = resumed ? resumed.id : crypto.randomUUID();
  let pristine = null;        // the untouched form's XML: not worth a draft (see current())

  const fetchFormAttachment = async (url) => {
    const name = decodeURIComponent(String(url.pathname || url).split("/").pop());
    const entry = media[name];
    if (!entry) return new Response("", { status: 404 });
    return store.file(entry.url, entry.hash, !preview);
  };

  const onSubmit = async (payload, callback) => {
    if (preview) {
      store.say("status", store.t("preview"), "preview");
      callback({ next: POST_SUBMIT__NEW_INSTANCE });
      return;
    }
    const instance = payload.data[0];
    const xml = asNewForm(await instance.instanceFile.text());
    await store.queue({ instanceID: store.instanceIdOf(xml), owner, form: formId,
                        queued: Date.now(), xml, attachments: await attachments(instance) });
    await store.dropDraft(draftId);
    draftId = crypto.randomUUID();
    if (resumed) history.replaceState(null, "", location.pathname);
    callback({ next: POST_SUBMIT__NEW_INSTANCE });
    window.scrollTo(0, 0);
    store.say("status", store.t("kept"), "kept");
    const outcome = await store.sendAll(base, owner);
    await store.showOutbox(owner);
    if (!store.sayOutcome(outcome) && outcome.sent && !outcome.left) {
      store.say("status", store.t("sent"), "sent");
    }
  };

  const props = {
    formXml, fetchFormAttachment, missingResourceBehavior: "BLANK", trackDevice: true,
    preloadProperties: { username: body.dataset.name || "" }, onSubmit,
  };
  if (resumed) {
    props.editInstance = { resolveInstance: () => resumed.xml, attachmentFileNames: [],
                           resolveAttachment: () => new Response("", { status: 404 }) };
  }
  mount.replaceChildren();
  const app = createApp({ render: () => h(OdkWebForm, props) });
  app.use(webFormsPlugin);
  const vm = app.mount(mount);
  nameControls(mount);

  // The untouched form's XML is taken as soon as the engine has loaded it (and again for each
  // new form after Send), not at the first save: a form filled and left within the first
  // seconds must still be kept. A resumed draft is kept even if untouched.
  let seen = null;
  const current = () => {
    const root = findRoot(vm.$.subTree);
    if (root && root !== seen) {
      pristine = resumed && seen === null ? null : root.instanceState.instanceXML;
      seen = root;
    }
    return root;
  };
  setInterval(current, 250);

  const saveDraft = async () => {
    if (preview) return;
    const root = current();
    if (!root) return;
    const xml = root.instanceState.instanceXML;
    if (xml === pristine) return;
    // saved under the draft's own instanceID, however often it is resumed
    await store.saveDraft({ id: draftId, owner, form: formId, title: document.title
      .split(" · ")[0], page: location.pathname, saved: Date.now(), xml: asNewForm(xml) });
  };
  setInterval(saveDraft, DRAFT_EVERY);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") saveDraft();
  });
  window.addEventListener("pagehide", saveDraft);
  window.doorstepSaveDraft = saveDraft;       // lets a test (or a "back" tap) save at once

  if (!preview) await store.keepSending(base, owner);
}

start();
