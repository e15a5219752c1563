// Batch downloads: start one from URLs (with an Idempotency-Key, so a retried call never starts
// a second batch), then poll it and draw each job's progress until the batch ends.

import { human, sleep } from "./api.js";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export const jobName = (job) => job.title || decodeURIComponent(job.url.split("?")[0].replace(/\/+$/, "").split("/").pop() || job.url);
export const jobPercent = (job) => (job.status === "completed" ? 100 : Math.round(job.progress.percent));

export function startBatch(api, urls, concurrency) {
  return api.request("POST", "/api/v1/batch/download", {
    json: { urls, concurrent_limit: concurrency },
    idempotencyKey: crypto.randomUUID(),
  });
}

export const cancelBatch = (api, batchId) => api.request("DELETE", `/api/v1/batch/${encodeURIComponent(batchId)}`);

// Calls `draw(batch)` after every poll; resolves with the finished batch (or the last one seen
// when `stopped()` turns true).
export async function watchBatch(api, batchId, draw, { intervalMs = 1000, stopped = () => false } = {}) {
  for (;;) {
    const batch = await api.request("GET", `/api/v1/batch/${encodeURIComponent(batchId)}`);
    draw(batch);
    if (TERMINAL.has(batch.status) || stopped()) return batch;
    await sleep(intervalMs);
  }
}

export function jobRow(job) {
  const row = document.createElement("tr");
  const name = document.createElement("td");
  name.textContent = jobName(job);
  name.title = job.url;
  const status = document.createElement("td");
  status.textContent = job.error ? `${job.status}: ${job.error}` : job.status;
  status.className = `state-${job.status}`;
  const cell = document.createElement("td");
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = jobPercent(job);
  bar.setAttribute("aria-label", `${jobName(job)} download progress`);
  const text = document.createElement("span");
  const size = job.file_info ? human(job.file_info.size_bytes) : job.progress.downloaded_bytes ? human(job.progress.downloaded_bytes) : "";
  text.textContent = ` ${jobPercent(job)}%${size ? ` (${size})` : ""}`;
  cell.append(bar, text);
  row.append(name, status, cell);
  return row;
}
