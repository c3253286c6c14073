// The result screen: section scores, total, and the decision exactly as the server gave it;
// then the receipt that the result is in the public result log, with a QR code of it.

import qrcode from "../vendor/qrcode.mjs";
import { t } from "./strings.js";

const RECEIPT_TRIES = 30; // once a second: the server logs a result within about a second

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


/**
 * Fetch the receipt (`GET /ujian/receipt` with the login's bearer) and show it: leaf hash,
 * log size, signature, and a QR code of the receipt JSON for `seleksi log verify --receipt`.
 * The result may reach the log a moment after the finish: ask again every second, ~30 s.
 */
export async function showReceipt(bearer) {
  const status = $("receipt-status");
  $("receipt-fields").hidden = true;
  $("receipt-qr").hidden = true;
  status.textContent = t("receipt_waiting");
  for (let tries = 0; bearer && tries < RECEIPT_TRIES; tries += 1) {
    const response = await fetch("/ujian/receipt", {
      headers: { Authorization: `Bearer ${bearer}` }, cache: "no-store",
    }).catch(() => null);
    if (response?.ok) {
      const receipt = await response.json().catch(() => null);
      if (receipt?.leaf_hash) {
        showReceiptFields(receipt);
        return;
      }
    } else if (response && response.status !== 404 && response.status !== 503) {
      break; // 401: this login is no longer valid, asking again will not help
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  status.textContent = t("receipt_unavailable");
}

function showReceiptFields(receipt) {
  $("receipt-status").textContent = t("receipt_logged", { index: receipt.leaf_index });
  $("receipt-leaf-hash").textContent = receipt.leaf_hash;
  $("receipt-tree-size").textContent = String(receipt.tree_size);
  $("receipt-signature").textContent = receipt.tree_head_signature;
  $("receipt-fields").hidden = false;
  const code = qrcode(0, "L"); // type 0: the smallest QR version that holds the text
  code.addData(JSON.stringify(receipt));
  code.make();
  const image = $("receipt-qr");
  image.src = code.createDataURL(3, 4); // a GIF data: URL (the CSP allows data: images)
  image.hidden = false;
}
