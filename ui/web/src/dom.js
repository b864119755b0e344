// A small DOM builder. Text always goes through text nodes, so names
// from the API can never inject markup.

// h creates an element: h('a', {href: '#/', class: 'x'}, 'text', child, ...).
// Attributes whose value is false, null or undefined are left out; on*
// attributes with function values become event listeners.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === false || v === null || v === undefined) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// svg creates an SVG element with the given attributes.
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c);
  return el;
}

// healthPill is the coloured health badge used everywhere.
export function healthPill(health) {
  const hl = health || 'unknown';
  return h('span', { class: 'pill h-' + hl }, hl);
}

// nextFrame resolves after the browser has painted the current DOM.
export function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}

// fill replaces the children of el; like h, it skips null, undefined and
// false (replaceChildren would print them).
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
