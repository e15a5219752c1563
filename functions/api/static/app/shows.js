// Show, feed and playlist batches: POST /jobs (with an Idempotency-Key), then poll the batch and
// its episode jobs until every episode is done. A failed episode shows its error_code.

import { human, sleep } from "./api.js";

const DONE = new Set(["completed", "finished"]);
const JOB_DONE = new Set(["completed", "failed", "cancelled"]);

export function startShow(api, url, folder) {
  const json = { url };
  if (folder) json.folder = folder;
  return api.request("POST", "/jobs", { json, idempotencyKey: crypto.randomUUID() });
}

export const retryShow = (api, batchId) => api.request("POST", `/batch/${encodeURIComponent(batchId)}/retry`);

const episode = (api, id) => api.request("GET", `/jobs/${encodeURIComponent(id)}`);

// Calls `draw(batch, episodes)` after every poll; resolves with the last [batch, episodes].
// A single media URL (POST /jobs answered one job) is watched as a batch of one.
export async function watchShow(api, created, draw, { intervalMs = 1000, stopped = () => false } = {}) {
  for (;;) {
    let batch, episodes;
    if (created.batch_id) {
      batch = await api.request("GET", `/batch/${encodeURIComponent(created.batch_id)}`);
      episodes = await Promise.all(batch.episode_jobs.map((id) => episode(api, id)));
    } else {
      const job = await episode(api, created.id);
      episodes = [job];
      const ended = JOB_DONE.has(job.status);
      batch = { id: job.id, status: ended ? (job.status === "completed" ? "completed" : "finished") : "processing", total_episodes: 1,
        completed_episodes: job.status === "completed" ? 1 : 0, failed_episodes: ended && job.status !== "completed" ? 1 : 0 };
    }
    draw(batch, episodes);
    if (DONE.has(batch.status) || stopped()) return [batch, episodes];
    await sleep(intervalMs);
  }
}

export const episodeName = (job) => job.title || decodeURIComponent(job.url.split("?")[0].split("/").pop() || job.url);

export function episodeRow(job) {
  const row = document.createElement("tr");
  const name = document.createElement("td");
  name.textContent = episodeName(job);
  name.title = job.url;
  const status = document.createElement("td");
  status.className = `state-${job.status}`;
  const reason = job.error_code ? `${job.error_code}: ${job.error}` : job.error;
  status.textContent = reason ? `${job.status}: ${reason}` : job.status;
  const size = document.createElement("td");
  size.className = "num";
  size.textContent = job.file ? human(job.file.size_bytes) : "";
  row.append(name, status, size);
  return row;
}
