// The result screen: section scores, total, and the decision exactly as the server gave it.

import { t } from "./strings.js";

const $ = (id) => document.getElementById(id);

export function showResult(result, reason) {
  const body = $("result-sections");
  body.replaceChildren();
  for (const [section, points] of Object.entries(result?.sections ?? {})) {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = section;
    row.append(th);
    const td = row.insertCell();
    td.className = "num";
    td.textContent = String(points);
  }
  const total = result?.total ?? "";
  $("result-total").textContent = result?.max != null ? t("of_max", { total, max: result.max })
    : String(total);
  const decision = $("result-decision");
  if (typeof result?.passed === "boolean") {
    decision.textContent = result.passed ? t("passed") : t("failed");
    decision.dataset.passed = String(result.passed);
  } else {
    decision.textContent = "";
  }
  showRules($("result-detail"), result);
  $("result-reason").textContent = reason ? t(`reason_${reason}`) : "";
}

/** Each pass rule that applies, with every minimum met or not, in the page's language. */
function showRules(box, result) {
  box.replaceChildren();
  const rules = Array.isArray(result?.rules) ? result.rules : null;
  if (rules === null) return;
  if (rules.length === 0) {
    box.textContent = t("ranked_only");
    return;
  }
  for (const rule of rules) {
    const block = document.createElement("div");
    block.className = "rule";
    block.dataset.passed = String(Boolean(rule.passed));
    const title = document.createElement("p");
    const name = rule.categories ? t("rule_special", { categories: rule.categories.join(", ") })
      : t("rule_general");
    title.textContent = `${name}: ${rule.passed ? t("rule_met") : t("rule_not_met")}`;
    const list = document.createElement("ul");
    for (const check of rule.checks ?? []) {
      const item = document.createElement("li");
      const measure = check.measure === "total" ? t("measure_total") : check.measure;
      const fields = { ...check, measure };
      item.textContent = check.met ? t("check_met", fields) : t("check_not_met", fields);
      item.dataset.met = String(Boolean(check.met));
      list.append(item);
    }
    block.append(title, list);
    box.append(block);
  }
}

