// Seleksi's small stem markup (docs/bank-formats.md) rendered into DOM nodes, never through
// innerHTML: blank line = new paragraph, single line break = <br>, *emphasis*, **strong**,
// a paragraph whose every line is `| a | b |` = a table whose first row is the header,
// ![alt](sha256:<64 hex>) = an image of the session (loaded by `loadImage`).

const INLINE = /!\[([^\]]*)\]\(sha256:([0-9a-f]{64})\)|\*\*(.+?)\*\*|\*(.+?)\*/g;
const TABLE_LINE = /^\s*\|.*\|\s*$/;
const RULE_CELL = /^:?-{3,}:?$/;

/** Append the inline markup of `text` (one line) to `parent`. */
function appendInline(parent, text, loadImage) {
  let at = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > at) parent.append(text.slice(at, match.index));
    const [, alt, sha, strong, em] = match;
    if (sha !== undefined) {
      parent.append(loadImage(sha, alt));
    } else {
      const node = document.createElement(strong !== undefined ? "strong" : "em");
      appendInline(node, strong !== undefined ? strong : em, loadImage);
      parent.append(node);
    }
    at = match.index + match[0].length;
  }
  if (at < text.length) parent.append(text.slice(at));
}

function cells(line) {
  return line.trim().slice(1, -1).split("|").map((c) => c.trim());
}

function table(lines, loadImage) {
  const rows = lines.map(cells).filter((row) => !row.every((c) => RULE_CELL.test(c)));
  const node = document.createElement("table");
  const head = node.createTHead().insertRow();
  for (const text of rows[0]) {
    const th = document.createElement("th");
    th.scope = "col";
    appendInline(th, text, loadImage);
    head.append(th);
  }
  const body = node.createTBody();
  for (const row of rows.slice(1)) {
    const tr = body.insertRow();
    for (const text of row) appendInline(tr.insertCell(), text, loadImage);
  }
  return node;
}

/** Split markup into paragraphs, each a list of lines. */
function paragraphs(text) {
  return String(text ?? "")
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n/)
    .map((p) => p.split("\n"))
    .filter((lines) => lines.some((l) => l.trim() !== ""));
}

/** A fragment with the blocks (paragraphs, tables) of `text`. */
export function renderBlocks(text, loadImage) {
  const fragment = document.createDocumentFragment();
  for (const lines of paragraphs(text)) {
    if (lines.every((l) => TABLE_LINE.test(l))) {
      fragment.append(table(lines, loadImage));
      continue;
    }
    const p = document.createElement("p");
    lines.forEach((line, i) => {
      if (i > 0) p.append(document.createElement("br"));
      appendInline(p, line, loadImage);
    });
    fragment.append(p);
  }
  return fragment;
}

/** A fragment with `text` as inline content (for option texts): paragraphs become line breaks. */
export function renderInline(text, loadImage) {
  const fragment = document.createDocumentFragment();
  paragraphs(text).forEach((lines, i) => {
    lines.forEach((line, j) => {
      if (i > 0 || j > 0) fragment.append(document.createElement("br"));
      appendInline(fragment, line, loadImage);
    });
  });
  return fragment;
}
