// Document batches (the seed's Batch Document Upload API): PDF/PPTX files into a collection.
// Files that fit in one request go multipart (/api/start-embedding for one, -batch for 2-10);
// larger ones are PUT straight to storage through presigned URLs (/api/embedding-uploads, then
// /start). Then GET /api/job-status is polled for each file's step and percentage.

import { ApiError, sleep } from "./api.js";

// A multipart body reaches the API base64-encoded inside a 6 MB event: about 4.4 MB of files fit.
export const MULTIPART_LIMIT = 4 * 1024 * 1024;
const FINAL = new Set(["completed", "partially_completed", "failed"]);

export async function startEmbedding(api, files, collection) {
  const total = files.reduce((n, f) => n + f.size, 0);
  const key = crypto.randomUUID();
  if (total <= MULTIPART_LIMIT) {
    const form = new FormData();
    const field = files.length === 1 ? "file" : "files";
    for (const f of files) form.append(field, f, f.name);
    if (collection) form.append("collection_name", collection);
    const path = files.length === 1 ? "/api/start-embedding" : "/api/start-embedding-batch";
    return { via: "multipart", ...(await api.request("POST", path, { form, idempotencyKey: key })) };
  }
  const json = { files: files.map((f) => ({ name: f.name, size: f.size })) };
  if (collection) json.collection_name = collection;
  const job = await api.request("POST", "/api/embedding-uploads", { json, idempotencyKey: key });
  for (const [i, upload] of job.uploads.entries()) {
    const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: files[i] });
    if (!put.ok) throw new ApiError("storage_error", `storage refused ${upload.name}: HTTP ${put.status}`, put.status);
  }
  return { via: "presigned", ...(await api.request("POST", `/api/embedding-uploads/${encodeURIComponent(job.job_id)}/start`, { safe: true })) };
}

// Each file of either status shape: {name, status, step, percentage, error}.
export function fileStates(job) {
  if (!job.files) {
    const p = job.progress;
    return [{ name: job.file_name, status: job.status, step: p.current_step, percentage: p.percentage, error: job.error }];
  }
  return job.files.map((f) => {
    const current = f.status === "processing" && f.name === job.current_file && job.current_file_progress;
    const step = current ? current.current_step : f.status === "pending" ? "queued" : f.status;
    const percentage = current ? current.percentage : f.status === "completed" || f.status === "failed" ? 100 : 0;
    return { name: f.name, status: f.status, step, percentage, error: f.error };
  });
}

export const jobPercent = (job) => Math.round(job.files ? job.overall_progress : job.progress.percentage);

export async function watchDocuments(api, jobId, draw, { intervalMs = 1000, stopped = () => false } = {}) {
  for (;;) {
    const job = await api.request("GET", `/api/job-status/${encodeURIComponent(jobId)}`);
    draw(job);
    if (FINAL.has(job.status) || stopped()) return job;
    await sleep(intervalMs);
  }
}

export function fileRow(state) {
  const row = document.createElement("tr");
  const name = document.createElement("td");
  name.textContent = state.name;
  const status = document.createElement("td");
  status.className = `state-${state.status}`;
  status.textContent = state.error ? `${state.status}: ${state.error}` : state.status;
  const step = document.createElement("td");
  step.textContent = state.step;
  const cell = document.createElement("td");
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = Math.round(state.percentage);
  bar.setAttribute("aria-label", `${state.name} embedding progress`);
  const text = document.createElement("span");
  text.textContent = ` ${Math.round(state.percentage)}%`;
  cell.append(bar, text);
  row.append(name, status, step, cell);
  return row;
}

export function search(api, collection, query, nResults) {
  return api.request("POST", `/api/collections/${encodeURIComponent(collection)}/query`, {
    json: { query, n_results: nResults },
    safe: true,
  });
}

export function resultItem(result) {
  const li = document.createElement("li");
  const where = result.slide_number != null ? `slide ${result.slide_number}` : `page ${result.page_number}`;
  const head = document.createElement("strong");
  head.textContent = `${result.document_name}, ${where}`;
  const distance = document.createElement("span");
  distance.className = "help";
  distance.textContent = ` (distance ${result.distance.toFixed(3)})`;
  const text = document.createElement("p");
  text.textContent = result.text.replace(/\s+/g, " ").slice(0, 400);
  li.append(head, distance, text);
  return li;
}
