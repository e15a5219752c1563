// The media catalog: a page at a time (cursor), and copy / delete of the selected items in one
// batch call each (up to 50 ids).

import { human } from "./api.js";

export const listMedia = (api, cursor) => api.request("GET", "/api/v0/media", { params: { limit: 25, cursor } });
export const copyMedia = (api, ids) => api.request("POST", "/api/v0/media/batch/copy", { json: { ids } });
export const deleteMedia = (api, ids) => api.request("POST", "/api/v0/media/batch/delete", { json: { ids }, safe: true });

export function mediaRow(item, onToggle) {
  const row = document.createElement("tr");
  row.dataset.id = item.id;
  const pick = document.createElement("td");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.value = item.id;
  box.id = `pick-${item.id}`;
  box.setAttribute("aria-label", `Select ${item.filename}`);
  box.addEventListener("change", onToggle);
  pick.append(box);
  const name = document.createElement("td");
  const link = document.createElement("a");
  link.href = item.download_url;
  link.textContent = item.filename;
  link.rel = "noopener";
  name.append(link);
  const cells = [human(item.size), item.folder, item.processing.state, new Date(item.created_at).toLocaleString()].map((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (i === 0) td.className = "num";
    return td;
  });
  row.append(pick, name, ...cells);
  return row;
}
