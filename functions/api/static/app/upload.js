// The seed's batch-upload flow (batch-upload-frontend.md): POST /init (5 files a call), then
// each file's bytes straight to storage through presigned URLs: one PUT up to 150 MiB, else
// parts sent in parallel, each retried with backoff (a fresh URL from POST /retry when one is
// refused or missing), then POST /complete. Each upload's id is kept in localStorage until it
// completes, so after a reload picking the same file again resumes it: GET /progress says how
// it was cut, POST /retry pages list exactly the parts storage still lacks.

import { ApiError, backoff, sleep } from "./api.js";

const PREFIX = "/api/v1/videos/batch";
const STORE = "mediabatch.uploads";
const FILES_PER_INIT = 5;
export const PARALLEL_PARTS = 4;
export const PART_RETRIES = 4;
const STALE = new Set(["upload_not_found", "upload_expired", "upload_gone"]);

const fileKey = (file) => `${file.name}|${file.size}|${file.lastModified}`;
const stored = () => { try { return JSON.parse(localStorage.getItem(STORE) || "{}"); } catch { return {}; } };
function remember(file, uploadId) { const s = stored(); s[fileKey(file)] = uploadId; localStorage.setItem(STORE, JSON.stringify(s)); }
function forget(file) { const s = stored(); delete s[fileKey(file)]; localStorage.setItem(STORE, JSON.stringify(s)); }
export const pendingUploadId = (file) => stored()[fileKey(file)];

// One PUT with upload progress (fetch has none): resolves with the HTTP status, 0 on a network error.
function put(url, body, headers, onLoaded) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [k, v] of Object.entries(headers || {})) xhr.setRequestHeader(k, v);
    xhr.timeout = 10 * 60 * 1000;
    xhr.upload.onprogress = (e) => onLoaded(e.loaded);
    xhr.onload = () => resolve(xhr.status);
    xhr.onerror = () => resolve(0);
    xhr.ontimeout = () => resolve(0);
    xhr.send(body);
  });
}

class FileUpload {
  // `report({state, bytes, total, message})` is called on every change.
  constructor(api, file, report) {
    this.api = api;
    this.file = file;
    this.report = report;
    this.urls = new Map(); // chunk index -> presigned URL
    this.loaded = new Map(); // chunk index -> bytes of it sent so far
    this.base = 0; // bytes storage already had (resume)
    this.retried = 0;
    this.partsDone = 0; // parts stored by this page
    this.note = ""; // what the progress line keeps saying while parts go (a resume)
  }

  get bytes() { let n = this.base; for (const v of this.loaded.values()) n += v; return n; }
  tell(state, message = this.note) { this.report({ state, bytes: this.bytes, total: this.file.size, message, retried: this.retried, partsDone: this.partsDone }); }

  chunk(index) {
    const { isChunked, chunkSize } = this.session;
    if (!isChunked) return this.file;
    return this.file.slice(index * chunkSize, Math.min(this.file.size, (index + 1) * chunkSize));
  }

  async retryPage(after) {
    const params = { limit: 1000, after: after >= 0 ? after : undefined };
    return this.api.data("POST", `${PREFIX}/retry/${encodeURIComponent(this.session.uploadId)}`, { params, safe: true });
  }

  async freshUrl(index) {
    for (const { chunkIndex, url } of await this.retryPage(index - 1)) this.urls.set(chunkIndex, url);
    const url = this.urls.get(index);
    if (!url) throw new ApiError("no_urls", `the server gave no URL for part ${index + 1}`, 0);
    return url;
  }

  async sendChunk(index) {
    for (let attempt = 0; ; attempt++) {
      const url = this.urls.get(index) || (await this.freshUrl(index));
      const status = await put(url, this.chunk(index), this.session.requiredHeaders, (n) => {
        this.loaded.set(index, n);
        this.tell("uploading");
      });
      if (status >= 200 && status < 300) {
        this.loaded.set(index, this.chunk(index).size);
        this.partsDone++;
        this.tell("uploading");
        return;
      }
      this.loaded.set(index, 0);
      if (attempt >= PART_RETRIES) throw new ApiError("part_failed", `part ${index + 1} failed (HTTP ${status || "network error"})`, status);
      this.retried++;
      this.tell("uploading", `part ${index + 1} failed (HTTP ${status || "network error"}); retrying`);
      if (status === 403 || status === 0) this.urls.delete(index); // expired or refused: sign anew
      await sleep(backoff(attempt));
    }
  }

  async sendAll(indexes) {
    const queue = [...indexes];
    const worker = async () => { while (queue.length) await this.sendChunk(queue.shift()); };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, queue.length) }, worker));
  }

  async complete() {
    const media = await this.api.data("POST", `${PREFIX}/complete/${encodeURIComponent(this.session.uploadId)}`, { safe: true });
    forget(this.file);
    this.base = this.file.size;
    this.loaded.clear();
    this.tell("done", `media ${media.id}`);
    return media;
  }

  async start(session) {
    this.session = session;
    remember(this.file, session.uploadId);
    session.presignedUrls.forEach((url, i) => this.urls.set(i, url));
    const all = Array.from({ length: session.totalChunks }, (_, i) => i);
    this.tell("uploading");
    await this.sendAll(all);
    return this.complete();
  }

  // Resume from the stored uploadId: send only the parts storage lacks.
  async resume(uploadId) {
    const progress = await this.api.data("GET", `${PREFIX}/progress/${encodeURIComponent(uploadId)}`);
    if (progress.size !== this.file.size) throw new ApiError("upload_not_found", "the file changed", 409);
    this.session = { ...progress, presignedUrls: [] };
    if (progress.status === "completed") return this.complete();
    const missing = [];
    for (let after = -1; ;) {
      const page = await this.retryPage(after);
      for (const { chunkIndex, url } of page) { this.urls.set(chunkIndex, url); missing.push(chunkIndex); }
      if (page.length < 1000) break;
      after = page[page.length - 1].chunkIndex;
    }
    const lacking = missing.reduce((n, i) => n + this.chunk(i).size, 0);
    this.base = this.file.size - lacking;
    this.note = `resuming: ${missing.length} part(s) to send`;
    this.tell("uploading");
    await this.sendAll(missing);
    return this.complete();
  }
}

// Upload `files`; `report(file, update)` on every change. Resolves with one outcome per file:
// {file, media} or {file, error}.
export async function uploadFiles(api, files, report) {
  const outcomes = [];
  const fresh = [];
  for (const file of files) {
    const uploadId = pendingUploadId(file);
    if (!uploadId) { fresh.push(file); continue; }
    const upload = new FileUpload(api, file, (u) => report(file, u));
    try {
      outcomes.push({ file, media: await upload.resume(uploadId) });
    } catch (error) {
      if (STALE.has(error.code)) { forget(file); fresh.push(file); }
      else { report(file, { state: "error", bytes: upload.bytes, total: file.size, message: String(error) }); outcomes.push({ file, error }); }
    }
  }
  for (let i = 0; i < fresh.length; i += FILES_PER_INIT) {
    const group = fresh.slice(i, i + FILES_PER_INIT);
    const body = { files: group.map((f) => ({ filename: f.name, size: f.size, ...(f.type ? { type: f.type } : {}) })) };
    let sessions;
    try {
      sessions = await api.data("POST", `${PREFIX}/init`, { json: body });
    } catch (error) {
      for (const file of group) { report(file, { state: "error", bytes: 0, total: file.size, message: String(error) }); outcomes.push({ file, error }); }
      continue;
    }
    for (const [j, file] of group.entries()) {
      const upload = new FileUpload(api, file, (u) => report(file, u));
      try {
        outcomes.push({ file, media: await upload.start(sessions[j]) });
      } catch (error) {
        report(file, { state: "error", bytes: upload.bytes, total: file.size, message: `${error}; pick the file again to resume` });
        outcomes.push({ file, error });
      }
    }
  }
  return outcomes;
}
