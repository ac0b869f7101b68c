// The only caller of fetch(). Every function returns parsed JSON or throws an
// ApiError whose message is the server's "detail", readable by a person.

export class ApiError extends Error {
  constructor(status, detail) {
    super(ApiError.text(detail));
    this.status = status;
    this.detail = detail;
  }

  static text(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => `${d.field ?? ""}: ${d.msg}`).join("; ");
    return JSON.stringify(detail);
  }
}

async function request(method, path, body, { signal, raw = false } = {}) {
  const init = { method, signal, headers: {} };
  if (body instanceof FormData || body instanceof Blob) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let detail = res.statusText;
    try {
      detail = (await res.json()).detail ?? detail;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, detail);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const getJSON = (path, opts) => request("GET", path, undefined, opts);
export const postJSON = (path, body, opts) => request("POST", path, body, opts);
export const putJSON = (path, body, opts) => request("PUT", path, body, opts);
export const del = (path, opts) => request("DELETE", path, undefined, opts);
export const getRaw = (path, opts) => request("GET", path, undefined, { ...opts, raw: true });
export const postRaw = (path, body, opts) => request("POST", path, body, { ...opts, raw: true });

// --- engine -----------------------------------------------------------------
export const health = () => getJSON("/api/health");
export const layerSchemas = () => getJSON("/api/layers");
export const shapes = (spec, opts) => postJSON("/api/shapes", spec, opts);
