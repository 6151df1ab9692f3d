// Forms as ODK Web Forms 0.22 can load them. Its XPath engine (@getodk/xforms-engine 0.20)
// refuses date() and decimal-date-time() of a field ("Expected a NUMBER or STRING evaluation
// type"), which Collect and later engines read as the field's text; the town's forms compare
// birth dates that way. So each such argument that is a path is wrapped in string(): the
// same value, in a type this engine takes. The form's instance, and so what is sent, is
// unchanged.
const CALL = /(^|[^-\w:])(decimal-date-time|date)\(/g;
const OPERATOR = /(^|\s)(div|mod|and|or)(\s|$)|[+*=<>,|]|\s-\s/;

function closing(text, open) {
  let depth = 1;
  let quote = null;
  for (let i = open; i < text.length; i += 1) {
    const c = text[i];
    if (quote) { if (c === quote) quote = null; }
    else if (c === "'" || c === '"') quote = c;
    else if (c === "(" || c === "[") depth += 1;
    else if (c === ")" || c === "]") { depth -= 1; if (depth === 0) return i; }
  }
  return -1;
}

function topLevel(text) {
  // the argument with bracketed and quoted parts blanked out
  let out = "";
  let depth = 0;
  let quote = null;
  for (const c of text) {
    if (quote) { if (c === quote) quote = null; out += " "; continue; }
    if (c === "'" || c === '"') { quote = c; out += " "; continue; }
    if (c === "(" || c === "[") depth += 1;
    out += depth ? " " : c;
    if (c === ")" || c === "]") depth -= 1;
  }
  return out;
}

function isPath(arg) {
  const trimmed = arg.trim();
  if (!trimmed || OPERATOR.test(topLevel(trimmed))) return false;
  const call = /^([A-Za-z_][\w:.-]*)\s*\(/.exec(trimmed);
  return !call || call[1] === "instance" || call[1] === "current";
}

export function wrapFieldDates(expression) {
  let out = "";
  let from = 0;
  CALL.lastIndex = 0;
  for (let m = CALL.exec(expression); m; m = CALL.exec(expression)) {
    const open = m.index + m[0].length;
    const close = closing(expression, open);
    if (close < 0) break;
    const arg = wrapFieldDates(expression.slice(open, close));
    out += expression.slice(from, open) + (isPath(arg) ? `string(${arg})` : arg) + ")";
    from = close + 1;
    CALL.lastIndex = from;
  }
  return out + expression.slice(from);
}

export function forWebForms(xml) {
  if (!/date(-time)?\(/.test(xml)) return xml;
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  for (const element of doc.getElementsByTagName("*")) {
    for (const attribute of Array.from(element.attributes)) {
      if (attribute.value.includes("date")) {
        const fixed = wrapFieldDates(attribute.value);
        if (fixed !== attribute.value) attribute.value = fixed;
      }
    }
  }
  return new XMLSerializer().serializeToString(doc);
}
