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
  $("result-detail").textContent = typeof result?.decision === "string" ? result.decision : "";
  $("result-reason").textContent = reason ? t(`reason_${reason}`) : "";
}
