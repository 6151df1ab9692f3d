// Names for ODK Web Forms 0.22's controls that a screen reader would otherwise announce
// without their question: its label points at a select's wrapper, not at the combobox inside,
// and at nothing a date picker's input is. Each such control is named by its question's
// label (aria-labelledby); the engine's own markup and behaviour are otherwise untouched.
const CONTROLS = '[role="combobox"], input:not([type="radio"]):not([type="checkbox"])';

function nameAll(root) {
  for (const question of root.querySelectorAll(".question-container")) {
    const label = question.querySelector(".control-text label");
    if (!label) continue;
    if (!label.id) label.id = `${question.id || Math.random().toString(36).slice(2)}-label`;
    for (const control of question.querySelectorAll(CONTROLS)) {
      const named = control.hasAttribute("aria-label") || control.hasAttribute("aria-labelledby")
        || (control.labels && control.labels.length);
      if (!named) control.setAttribute("aria-labelledby", label.id);
    }
  }
}

// Keep naming as the engine draws questions (relevance, repeats, a new form after Send),
// at most once a frame.
export function nameControls(root) {
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; nameAll(root); });
  }).observe(root, { childList: true, subtree: true });
  nameAll(root);
}
