// The console's only way to the service: the public REST API under /v1, with the bearer token of the login field.

const TOKEN_KEY = 'ingest.token';

/** The token kept for this tab only (sessionStorage), or ''. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  } else {
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

/** An answer other than 2xx: the API's {"error", "problems": [{"path", "message"}]}. */
export class ApiError extends Error {
  constructor(status, body, text) {
    super((body && body.error) || (text ? `HTTP ${status}: ${text.slice(0, 200)}` : `HTTP ${status}`));
    this.status = status;
    this.problems = (body && Array.isArray(body.problems)) ? body.problems : [];
  }
}

function headers(extra) {
  const h = Object.assign({ Accept: 'application/json' }, extra || {});
  if (token()) {
    h.Authorization = 'Bearer ' + token();
  }
  return h;
}

/**
 * Calls the API. A string body is sent as it is (YAML or JSON, contentType says which); anything else as JSON.
 * @returns the parsed JSON answer, or null for an empty one
 */
export async function call(method, path, body, contentType) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers['Content-Type'] = contentType || 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!r.ok) {
    throw new ApiError(r.status, json, json ? '' : text);
  }
  return json;
}

export const get = (path) => call('GET', path);

/**
 * Reads GET /v1/events with fetch() so that the Authorization header goes along (EventSource cannot send it).
 * Calls onEvent({type, data}) for each event until the signal aborts or the stream ends.
 */
export async function events(signal, onOpen, onEvent) {
  const r = await fetch('/v1/events', { headers: headers({ Accept: 'text/event-stream' }), signal });
  if (!r.ok) {
    let body = null;
    try {
      body = await r.json();
    } catch (e) {
      body = null;
    }
    throw new ApiError(r.status, body, '');
  }
  onOpen();
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) {
          type = line.slice(6).trim();
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
      if (data.length) {
        let parsed;
        try {
          parsed = JSON.parse(data.join('\n'));
        } catch (e) {
          parsed = { raw: data.join('\n') };
        }
        onEvent({ type, data: parsed });
      }
    }
  }
}
