// A list of cases drawn a page at a time: the rows of the cases that match are made only as far
// as the page reaches ("Show more" adds a page), so a device with 10,000 cases draws 100 rows.
// Filtering and search run in memory over the summaries; nothing typed is stored or sent.

import { formatNumber, ngettext } from "../i18n.js";
import { h } from "./ui.js";

export const PAGE_ROWS = 100;

/**
 * `items` are the cases' summaries in the order shown, `row(item)` draws one; returns
 * {list, count, more, draw(matches)}: `draw` shows the items `matches` keeps, from the first page.
 */
export function pagedList(items, row, className) {
  const list = h("ul", { className, id: "case-list" });
  const count = h("p", { id: "case-count", role: "status" });
  const more = h("button", { type: "button", id: "show-more", hidden: true });
  let shown = items;
  let limit = PAGE_ROWS;
  const page = () => {
    list.replaceChildren(...shown.slice(0, limit).map(row));
    count.textContent = ngettext("%(shown)s of %(count)s case", "%(shown)s of %(count)s cases", items.length,
      { shown: formatNumber(shown.length) });
    more.hidden = shown.length <= limit;
    more.textContent = ngettext("Show %(count)s more case", "Show %(count)s more cases", Math.min(PAGE_ROWS, shown.length - limit));
  };
  more.addEventListener("click", () => { limit += PAGE_ROWS; page(); });
  const draw = (matches = () => true) => {
    shown = items.filter(matches);
    limit = PAGE_ROWS;
    page();
  };
  return { list, count, more, draw };
}
