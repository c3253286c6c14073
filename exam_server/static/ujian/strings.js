// The page's run-time texts, in the page's language (sent by the server as data-strings).

const table = JSON.parse(document.body.dataset.strings || "{}");

/** The text for `key` with `{name}` fields filled from `params`. */
export function t(key, params = {}) {
  const text = table[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export const language = document.body.dataset.lang || "id";
