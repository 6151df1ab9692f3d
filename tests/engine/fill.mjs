// Fill an XForm with ODK's own engine (@getodk/xforms-engine) and print the instance it would
// submit. Input on stdin, JSON: {"form": "<h:html …>", "answers": {"/data/name": "王芳",
// "/data/fruits": ["apple", "banana"]}, "repeats": {"/data/members": 2},
// "secondary": {"people.csv": "name,label\n…"}, "now": "2026-11-20T10:00:00+08:00",
// "seed": "any string"}. Output on stdout, JSON: {"status", "xml", "violations": [{"reference",
// "message"}]}. Repeat instances are addressed as /data/rep[2]/x. With `now` the clock stands
// still at that moment (today(), now(), start/end), and with `seed` every uuid() comes from a
// seeded sequence, so the same input always gives the same instance, byte for byte.
// With "options": ["/data/woman"], the output also lists the values each of those selects offers
// once all answers are given (to test choice filters).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { JSDOM } from 'jsdom';

// The engine's bundled XPath parser (tree-sitter, emscripten) expects CommonJS globals and a
// DOM; give it both before loading it.
const require = createRequire(import.meta.url);
globalThis.__dirname = dirname(require.resolve('@getodk/xforms-engine')) + '/';
globalThis.require = require;
const { window } = new JSDOM('');
for (const name of ['DOMParser', 'XMLSerializer', 'Node', 'document', 'Document', 'Element',
  'NodeFilter', 'XPathResult']) {
  globalThis[name] ??= window[name];
}
const input = JSON.parse(readFileSync(0, 'utf8'));
if (input.now) standStill(Date.parse(input.now));
if (input.seed) seedUuids(input.seed);
const { createInstance } = await import('@getodk/xforms-engine');

// The engine reads the time through Date.now() (its Temporal polyfill) and new Date().
function standStill(at) {
  const RealDate = Date;
  class FrozenDate extends RealDate {
    constructor(...args) { super(...(args.length ? args : [at])); }
    static now() { return at; }
  }
  globalThis.Date = FrozenDate;
}

// The engine makes uuid() and its node ids with crypto.randomUUID(); mulberry32 seeded from
// the string gives the same sequence of version-4 UUIDs on every run.
function seedUuids(seed) {
  let state = 0;
  for (const c of seed) state = Math.imul(state ^ c.charCodeAt(0), 2654435761) >>> 0;
  const next = () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  };
  const hex = (n) => n.toString(16).padStart(8, '0');
  const randomUUID = () => {
    const h = hex(next()) + hex(next()) + hex(next()) + hex(next());
    const variant = '89ab'[next() % 4];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  Object.defineProperty(globalThis.crypto, 'randomUUID', { value: randomUUID, configurable: true });
}
const attachments = input.secondary ?? {};
const fetchFormAttachment = async (url) => {
  const name = decodeURIComponent(String(url).split('/').pop());
  if (!(name in attachments)) return new Response('', { status: 404 });
  return new Response(attachments[name], { headers: { 'Content-Type': 'text/csv' } });
};
const form = await createInstance(input.form, {
  form: { fetchFormAttachment, missingResourceBehavior: 'BLANK' },
  instance: { stateFactory: (x) => x },
});
const root = form.root ?? form;

function index(node, into = new Map()) {
  into.set(node.currentState.reference, node);
  for (const child of node.currentState.children ?? []) index(child, into);
  return into;
}

let nodes = index(root);
for (const [reference, count] of Object.entries(input.repeats ?? {})) {
  const range = nodes.get(reference);
  if (!range || range.nodeType !== 'repeat-range:uncontrolled') {
    throw new Error(`no repeat you can add to at ${reference}`);
  }
  const have = range.currentState.children.length;
  if (count > have) range.addInstances(have - 1, count - have);
  nodes = index(root);
}
for (const [reference, value] of Object.entries(input.answers ?? {})) {
  const node = nodes.get(reference);
  if (!node) throw new Error(`no question at ${reference}`);
  if (node.nodeType === 'select') {
    if (Array.isArray(value)) node.selectValues(value);
    else node.selectValue(value);
  } else {
    node.setValue(value);
  }
  nodes = index(root);
}
const payload = await root.prepareInstancePayload();
const xml = payload.data ? await payload.data[0].get('xml_submission_file').text() : null;
const violations = (root.validationState?.violations ?? []).map((v) => ({
  reference: v.reference ?? v.node?.currentState?.reference ?? null,
  message: v.violation?.message?.asString ?? String(v.violation?.condition ?? ''),
}));
const options = {};
for (const reference of input.options ?? []) {
  const node = nodes.get(reference);
  if (!node || node.nodeType !== 'select') throw new Error(`no select at ${reference}`);
  options[reference] = node.currentState.valueOptions.map((item) => item.value);
}
process.stdout.write(JSON.stringify({ status: payload.status, xml, violations, options }));
