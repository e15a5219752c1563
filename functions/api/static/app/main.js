// The page: connect with an API key, then uploads, batch downloads, shows, documents and the
// media catalog.

import { Api, human } from "./api.js";
import { fileRow, fileStates, jobPercent, resultItem, search, startEmbedding, watchDocuments } from "./documents.js";
import { cancelBatch, jobRow, startBatch, watchBatch } from "./downloads.js";
import { episodeRow, retryShow, startShow, watchShow } from "./shows.js";
import { copyMedia, deleteMedia, listMedia, mediaRow } from "./media.js";
import { pendingUploadId, uploadFiles } from "./upload.js";

const $ = (id) => document.getElementById(id);
const KEY = "mediabatch.apiKey";
const API = "mediabatch.api";
let api = null;

function say(id, text, error = false) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", error);
}

// ------------------------------------------------------------------ connection
function connect(base, key) {
  api = new Api(base || window.MEDIABATCH_API || "", key);
  for (const id of ["upload-start", "download-start", "media-refresh", "show-start", "document-start", "search-start"]) {
    $(id).disabled = false;
  }
}

async function onConnect(event) {
  event.preventDefault();
  const base = $("api-url").value.trim();
  const key = $("api-key").value.trim();
  if (!key) { say("connection-status", "Paste your API key first.", true); $("api-key").focus(); return; }
  connect(base, key);
  try {
    await api.request("GET", "/api/v0/media", { params: { limit: 1 } });
  } catch (error) {
    say("connection-status", `Not connected: ${error}`, true);
    return;
  }
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(API, base);
  if ($("remember-key").checked) { localStorage.setItem(KEY, key); localStorage.setItem(API, base); }
  else { localStorage.removeItem(KEY); localStorage.removeItem(API); }
  say("connection-status", "Connected.");
  $("connection-status").className = "ok";
  refreshMedia();
}

// ------------------------------------------------------------------ uploads
function uploadItem(file) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `${file.name} upload progress`);
  const text = document.createElement("span");
  text.className = "status";
  text.setAttribute("aria-live", "polite");
  text.textContent = pendingUploadId(file) ? "will resume" : "waiting";
  li.append(name, bar, text);
  return { li, bar, text, spoken: -1 };
}

async function onUpload() {
  const files = [...$("upload-files").files];
  if (!files.length) { say("upload-status", "Choose one or more videos first.", true); $("upload-files").focus(); return; }
  const list = $("upload-list");
  list.replaceChildren();
  const views = new Map(files.map((f) => [f, uploadItem(f)]));
  for (const v of views.values()) list.append(v.li);
  $("upload-start").disabled = true;
  say("upload-status", `Uploading ${files.length} file(s)…`);
  const outcomes = await uploadFiles(api, files, (file, u) => {
    const view = views.get(file);
    const percent = Math.floor((100 * u.bytes) / Math.max(1, u.total));
    view.bar.value = percent;
    view.li.className = `state-${u.state}`;
    // Screen readers hear every 10 % and each change of state, not every progress event.
    const step = u.state === "uploading" ? Math.floor(percent / 10) : 100 + u.state.length;
    const detail = `${percent}% (${human(u.bytes)} of ${human(u.total)})`;
    const text = u.state === "done" ? `done: ${u.message}` : u.state === "error" ? `failed: ${u.message}` : `${detail}${u.message ? ` — ${u.message}` : ""}`;
    if (step !== view.spoken || u.state !== "uploading" || u.message) { view.text.textContent = text; view.spoken = step; }
    view.li.dataset.retried = String(u.retried || 0);
    view.li.dataset.partsDone = String(u.partsDone || 0);
  });
  const failed = outcomes.filter((o) => o.error).length;
  say("upload-status", failed ? `${failed} of ${files.length} upload(s) failed; pick them again to resume.` : `${files.length} file(s) uploaded.`, failed > 0);
  $("upload-start").disabled = false;
  refreshMedia();
}

// ------------------------------------------------------------------ batch downloads
let watching = null;

function drawBatch(batch) {
  const table = $("download-jobs");
  table.hidden = false;
  table.tBodies[0].replaceChildren(...batch.jobs.map(jobRow));
  const done = batch.completed_jobs + batch.failed_jobs + batch.cancelled_jobs;
  say("download-status", `Batch ${batch.batch_id}: ${batch.status}, ${done} of ${batch.total_jobs} job(s) finished.`, batch.status === "failed");
  $("download-cancel").disabled = ["completed", "failed", "cancelled"].includes(batch.status);
}

async function onDownload() {
  const urls = $("download-urls").value.split("\n").map((s) => s.trim()).filter(Boolean);
  if (!urls.length) { say("download-status", "Enter at least one URL.", true); $("download-urls").focus(); return; }
  const bad = urls.find((u) => !/^https?:\/\//i.test(u));
  if (bad) { say("download-status", `Not an http(s) URL: ${bad}`, true); $("download-urls").focus(); return; }
  $("download-start").disabled = true;
  try {
    const summary = await startBatch(api, urls, Number($("download-concurrency").value) || 3);
    watching = summary.batch_id;
    $("download-cancel").disabled = false;
    const batch = await watchBatch(api, summary.batch_id, drawBatch, { stopped: () => watching !== summary.batch_id });
    if (batch.status === "completed") refreshMedia();
  } catch (error) {
    say("download-status", `Could not start: ${error}`, true);
  } finally {
    $("download-start").disabled = false;
  }
}

async function onCancel() {
  if (!watching) return;
  try { drawBatch(await cancelBatch(api, watching)); } catch (error) { say("download-status", String(error), true); }
}

// ------------------------------------------------------------------ shows
let showing = null;

function drawShow(batch, episodes) {
  const table = $("show-episodes");
  table.hidden = false;
  table.tBodies[0].replaceChildren(...episodes.map(episodeRow));
  const done = batch.completed_episodes + batch.failed_episodes;
  say("show-status", `Show batch ${batch.id}: ${batch.status}, ${done} of ${batch.total_episodes} episode(s) done, ${batch.failed_episodes} failed.`, batch.status === "finished");
  $("show-retry").disabled = !(batch.status === "finished" && showing && showing.batch_id);
}

async function followShow(created) {
  showing = created;
  const [batch] = await watchShow(api, created, drawShow, { stopped: () => showing !== created });
  if (batch.completed_episodes > 0) refreshMedia();
}

async function onShow() {
  const url = $("show-url").value.trim();
  if (!/^https?:\/\//i.test(url)) { say("show-status", "Enter the show's http(s) URL.", true); $("show-url").focus(); return; }
  $("show-start").disabled = true;
  try {
    const created = await startShow(api, url, $("show-folder").value.trim());
    say("show-status", created.batch_id ? `Show batch ${created.batch_id}: ${created.total_episodes} episode(s).` : `One job: ${created.id}.`);
    await followShow(created);
  } catch (error) {
    say("show-status", `Could not start: ${error}`, true);
  } finally {
    $("show-start").disabled = false;
  }
}

async function onShowRetry() {
  if (!showing || !showing.batch_id) return;
  $("show-retry").disabled = true;
  try { await retryShow(api, showing.batch_id); await followShow({ ...showing }); } catch (error) { say("show-status", String(error), true); }
}

// ------------------------------------------------------------------ documents
async function onDocuments() {
  const files = [...$("document-files").files];
  if (!files.length || files.length > 10) { say("document-status", "Choose 1 to 10 PDF or PPTX files.", true); $("document-files").focus(); return; }
  const collection = $("document-collection").value.trim();
  $("document-start").disabled = true;
  say("document-status", `Uploading ${files.length} file(s)…`);
  try {
    const started = await startEmbedding(api, files, collection);
    const job = await watchDocuments(api, started.job_id, (state) => {
      const table = $("document-files-table");
      table.hidden = false;
      table.tBodies[0].replaceChildren(...fileStates(state).map(fileRow));
      say("document-status", `Job ${state.job_id} (${started.via}): ${state.status}, ${jobPercent(state)}% into ${state.collection_name}.`);
    });
    say("document-status", `Job ${job.job_id}: ${job.status} into ${job.collection_name}.`, job.status !== "completed");
    $("search-collection").value = job.collection_name;
  } catch (error) {
    say("document-status", `Could not upload: ${error}`, true);
  } finally {
    $("document-start").disabled = false;
  }
}

async function onSearch(event) {
  event.preventDefault();
  const collection = $("search-collection").value.trim();
  const query = $("search-query").value.trim();
  if (!collection || !query) { say("search-status", "Enter a collection and what to search for.", true); return; }
  try {
    const { results } = await search(api, collection, query, Number($("search-n").value) || 5);
    $("search-results").replaceChildren(...results.map(resultItem));
    say("search-status", `${results.length} result(s) in ${collection}, nearest first.`);
  } catch (error) {
    $("search-results").replaceChildren();
    say("search-status", String(error), true);
  }
}

// ------------------------------------------------------------------ media
let cursor = null;

function selected() { return [...document.querySelectorAll("#media-table tbody input:checked")].map((b) => b.value); }
function onToggle() { const n = selected().length; $("media-copy").disabled = $("media-delete").disabled = n === 0; }

async function refreshMedia(more = false) {
  if (!api) return;
  try {
    const page = await listMedia(api, more ? cursor : undefined);
    const body = $("media-table").tBodies[0];
    const rows = page.items.map((item) => mediaRow(item, onToggle));
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    cursor = page.next_cursor;
    $("media-more").hidden = !cursor;
    say("media-status", `${body.rows.length} item(s) shown${cursor ? ", more to load" : ""}.`);
    onToggle();
  } catch (error) {
    say("media-status", String(error), true);
  }
}

async function onCopy() {
  const ids = selected();
  const { results } = await copyMedia(api, ids).catch((error) => { say("media-status", String(error), true); return { results: [] }; });
  const ok = results.filter((r) => r.status === 201).length;
  await refreshMedia();
  say("media-status", `Copied ${ok} of ${ids.length}.`, ok < ids.length);
}

async function onDelete() {
  const ids = selected();
  if (!window.confirm(`Delete ${ids.length} media item(s)? This cannot be undone.`)) return;
  const { results } = await deleteMedia(api, ids).catch((error) => { say("media-status", String(error), true); return { results: [] }; });
  const ok = results.filter((r) => r.status === 204).length;
  await refreshMedia();
  say("media-status", `Deleted ${ok} of ${ids.length}.`, ok < ids.length);
}

// ------------------------------------------------------------------ start
$("connection").addEventListener("submit", onConnect);
$("upload-start").addEventListener("click", onUpload);
$("download-start").addEventListener("click", onDownload);
$("download-cancel").addEventListener("click", onCancel);
$("show-start").addEventListener("click", onShow);
$("show-retry").addEventListener("click", onShowRetry);
$("document-start").addEventListener("click", onDocuments);
$("search-form").addEventListener("submit", onSearch);
$("media-refresh").addEventListener("click", () => refreshMedia());
$("media-more").addEventListener("click", () => refreshMedia(true));
$("media-copy").addEventListener("click", onCopy);
$("media-delete").addEventListener("click", onDelete);

const savedKey = sessionStorage.getItem(KEY) || localStorage.getItem(KEY);
const savedApi = sessionStorage.getItem(API) ?? localStorage.getItem(API) ?? "";
$("api-url").value = savedApi || window.MEDIABATCH_API || "";
if (savedKey) {
  $("api-key").value = savedKey;
  $("remember-key").checked = Boolean(localStorage.getItem(KEY));
  connect(savedApi, savedKey);
  say("connection-status", "Connected (key from this session).");
  refreshMedia();
}
