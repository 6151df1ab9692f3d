// Fill an XForm with ODK's own engine (@getodk/xforms-engine) and print the instance it would
// submit. Input on stdin, JSON: {"form": "<h:html …>", "answers": {"/data/name": "王芳",
// "/data/fruits": ["apple", "banana"]}, "repeats": {"/data/members": 2},
// "secondary": {"people.csv": "name,label\n…"}}. Output on stdout, JSON: {"status", "xml",
// "violations": [{"reference", "message"}]}. Repeat instances are addressed as /data/rep[2]/x.
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
const { createInstance } = await import('@getodk/xforms-engine');

const input = JSON.parse(readFileSync(0, 'utf8'));
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
process.stdout.write(JSON.stringify({ status: payload.status, xml, violations }));
