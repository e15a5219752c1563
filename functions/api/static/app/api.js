// The API on the wire: the key on every request, a timeout on every call, retries with backoff
// on network errors, 429 and 5xx for calls safe to repeat, and the error envelope
// {"success": false, "error": {"code", "message", "details"}} thrown as an ApiError (the document
// routes answer the seed's {"detail": "..."}: coded by status, e.g. bad_request, not_found).

export class ApiError extends Error {
  constructor(code, message, status, details) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
  toString() { return `${this.code}: ${this.message}`; }
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const DETAIL_CODES = { 400: "bad_request", 404: "not_found", 409: "conflict", 413: "payload_too_large", 500: "internal_error" };
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const backoff = (attempt) => Math.min(30000, 500 * 2 ** attempt) * (0.5 + Math.random());

export class Api {
  constructor(base, key, { timeoutMs = 30000, retries = 3 } = {}) {
    this.base = (base || "").replace(/\/+$/, "");
    this.key = key;
    this.timeoutMs = timeoutMs;
    this.retries = retries;
  }

  url(path, params) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") query.set(k, v);
    const qs = query.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ""}`;
  }

  // `safe`: may the call be sent twice (GET, DELETE, or with an Idempotency-Key)?
  // `form`: a FormData body (multipart) instead of JSON.
  async request(method, path, { json, form, params, idempotencyKey, safe } = {}) {
    const headers = { "X-API-Key": this.key, Accept: "application/json" };
    if (json !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const repeatable = safe ?? (method === "GET" || method === "DELETE" || Boolean(idempotencyKey));
    for (let attempt = 0; ; attempt++) {
      const last = !repeatable || attempt >= this.retries;
      let response;
      try {
        response = await fetch(this.url(path, params), {
          method,
          headers,
          body: form !== undefined ? form : json === undefined ? undefined : JSON.stringify(json),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        if (!last) { await sleep(backoff(attempt)); continue; }
        throw new ApiError("connection_error", `${method} ${path}: ${err.message || err}`, 0);
      }
      if (RETRYABLE.has(response.status) && !last) { await sleep(backoff(attempt)); continue; }
      return this.#body(response, method, path);
    }
  }

  async #body(response, method, path) {
    if (response.status === 204) return null;
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const error = body && body.error;
      if (error && error.code) throw new ApiError(error.code, error.message || "", response.status, error.details);
      if (body && typeof body.detail === "string") throw new ApiError(DETAIL_CODES[response.status] || `http_${response.status}`, body.detail, response.status);
      throw new ApiError(`http_${response.status}`, `${method} ${path} answered HTTP ${response.status}`, response.status);
    }
    return body;
  }

  // Routes of the batch-upload API answer {"success": true, "data": ...}.
  async data(method, path, options) {
    const body = await this.request(method, path, options);
    return body && "data" in body ? body.data : body;
  }
}

export function human(bytes) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let n = bytes, i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}
