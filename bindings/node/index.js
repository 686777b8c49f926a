'use strict';
// qwen3vl for Node.js: Client, chat() as a promise, stream() as an async iterable, AbortSignal to
// cancel, Error subclasses per status. Every call is one of the library's non-blocking calls; the
// addon (src/addon.c) watches the client's event descriptor on Node's loop, so nothing here blocks.
const native = require('./build/qwen3vl.node');

const STATUS = Object.freeze({
  OK: 0, INVALID_ARGUMENT: 1, INVALID_REQUEST: 2, FILE: 3, CONNECT: 4, TIMEOUT: 5, AUTH: 6, RATE_LIMIT: 7,
  BAD_REQUEST: 8, SERVER: 9, PROTOCOL: 10, TOO_LARGE: 11, CANCELLED: 12, INTERNAL: 13,
});
const NAMES = Object.fromEntries(Object.entries(STATUS).map(([k, v]) => [v, k === 'OK' ? 'QWEN3VL_OK' : `QWEN3VL_ERR_${k}`]));

/** A failed call: `status` is the library's status code (`STATUS.*`), `code` its name
 * ("QWEN3VL_ERR_AUTH"), `httpStatus` the last HTTP status (undefined if none), `requestId` the
 * server's id for the call (undefined if none), `text` what had arrived (a cancelled stream's). */
class Qwen3VLError extends Error {
  constructor(message, { status = STATUS.INTERNAL, httpStatus, requestId, text, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.status = status;
    this.code = NAMES[status] || 'QWEN3VL_ERR_UNKNOWN';
    this.httpStatus = httpStatus || undefined;
    this.requestId = requestId || undefined;
    this.text = text || undefined;
  }
}
class InvalidArgumentError extends Qwen3VLError {}
class InvalidRequestError extends Qwen3VLError {}
class FileError extends Qwen3VLError {}
class APIConnectionError extends Qwen3VLError {}
class APITimeoutError extends APIConnectionError {}
class AuthenticationError extends Qwen3VLError {}
class RateLimitError extends Qwen3VLError {}
class BadRequestError extends Qwen3VLError {}
class ServerError extends Qwen3VLError {}
class ProtocolError extends Qwen3VLError {}
class ResponseTooLargeError extends Qwen3VLError {}
/** The call was cancelled: by an AbortSignal (then `cause` is the signal's reason), by leaving a
 * stream, or by `client.cancelAll()`. */
class RequestCancelledError extends Qwen3VLError {}
/** The client was closed while the call ran. */
class ClientClosedError extends RequestCancelledError {}
class InternalError extends Qwen3VLError {}

const BY_STATUS = {
  [STATUS.INVALID_ARGUMENT]: InvalidArgumentError, [STATUS.INVALID_REQUEST]: InvalidRequestError,
  [STATUS.FILE]: FileError, [STATUS.CONNECT]: APIConnectionError, [STATUS.TIMEOUT]: APITimeoutError,
  [STATUS.AUTH]: AuthenticationError, [STATUS.RATE_LIMIT]: RateLimitError, [STATUS.BAD_REQUEST]: BadRequestError,
  [STATUS.SERVER]: ServerError, [STATUS.PROTOCOL]: ProtocolError, [STATUS.TOO_LARGE]: ResponseTooLargeError,
  [STATUS.CANCELLED]: RequestCancelledError, [STATUS.INTERNAL]: InternalError,
};

function failure(status, message, extra = {}) {
  const Cls = BY_STATUS[status] || Qwen3VLError;
  return new Cls(message, { status, ...extra });
}

/** A successful call's outcome (a stream's, assembled). `raw` is the chat.completion, parsed. */
class Reply {
  constructor(r) {
    this.text = r.text;
    this.finishReason = r.finishReason;
    this.requestId = r.requestId;
    const count = (n) => (n >= 0 ? n : null);
    this.usage = {
      promptTokens: count(r.promptTokens), completionTokens: count(r.completionTokens), totalTokens: count(r.totalTokens),
    };
    this.toolCalls = r.toolCalls ? JSON.parse(r.toolCalls) : [];
    this.json = r.json;
    this.httpStatus = r.httpStatus;
    this.attempts = r.attempts;
    this.elapsedMs = r.elapsedMs;
  }

  get raw() { return this.json ? JSON.parse(this.json) : {}; }
}

// JSON text for the library: a string as it is, anything else through JSON.stringify.
function jsonText(value, what, status) {
  let text = value;
  if (typeof value !== 'string') {
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw failure(status, `${what} cannot be written as JSON: ${e.message}`, { cause: e });
    }
    if (typeof text !== 'string') throw failure(status, `${what} must be JSON text or an object, not ${typeof value}`);
  }
  if (text.includes('\0')) throw failure(STATUS.INVALID_ARGUMENT, `${what} contains a NUL character`);
  return text;
}

// Per-call options (camelCase here) as the library's call options JSON.
const CALL_OPTIONS = { timeoutMs: 'timeout_ms', idleTimeoutMs: 'idle_timeout_ms', maxRetries: 'max_retries', headers: 'headers', query: 'query' };
function callOptions(options, stream) {
  const out = stream ? { stream: true } : {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'signal' || value === undefined) continue;
    if (!(key in CALL_OPTIONS)) throw failure(STATUS.INVALID_ARGUMENT, `unknown call option "${key}" (known: signal, ${Object.keys(CALL_OPTIONS).join(', ')})`);
    out[CALL_OPTIONS[key]] = value;
  }
  return Object.keys(out).length ? JSON.stringify(out) : null;
}

function aborted(signal) {
  return new RequestCancelledError('the call was aborted', { status: STATUS.CANCELLED, cause: signal.reason });
}

class Client {
  #handle;
  #dispatchBound = (batch) => this.#dispatch(batch); // the addon's reference to it is weak while idle
  #calls = new Map(); // id -> { handle, onDelta, onDone } of the calls in flight
  #nextId = 1;

  /** options: undefined (all defaults: the key from AIML_API_KEY, the base URL from AIML_API_BASE
   * or the AI/ML API), an object or JSON text of the library's client options (timeout_ms,
   * base_url, ...). Throws InvalidArgumentError naming a bad key. */
  constructor(options) {
    const text = options === undefined || options === null ? null : jsonText(options, 'options', STATUS.INVALID_ARGUMENT);
    const handle = native.open(text, this.#dispatchBound);
    if (typeof handle === 'string') throw new InvalidArgumentError(handle, { status: STATUS.INVALID_ARGUMENT });
    this.#handle = handle;
  }

  // Events of one readable turn, flat: id, kind (1 delta, 2 done), value.
  #dispatch(batch) {
    for (let i = 0; i < batch.length; i += 3) {
      const call = this.#calls.get(batch[i]);
      if (!call) continue;
      if (batch[i + 1] === 1) {
        call.onDelta(batch[i + 2]);
      } else {
        this.#calls.delete(batch[i]);
        call.onDone(batch[i + 2]);
      }
    }
  }

  // Starts a call; onDone(error, reply) once. Throws (before anything is sent) on bad arguments.
  #start(request, options, stream, onDelta, onDone) {
    if (!this.#handle) throw new InvalidArgumentError('the client is closed', { status: STATUS.INVALID_ARGUMENT });
    const body = jsonText(request, 'the request', STATUS.INVALID_REQUEST);
    const opts = callOptions(options, stream);
    const { signal } = options;
    if (signal?.aborted) throw aborted(signal);
    const id = this.#nextId++;
    const handle = native.start(this.#handle, body, opts, id);
    const onAbort = () => native.cancel(handle);
    signal?.addEventListener('abort', onAbort, { once: true });
    const call = {
      handle,
      onDelta,
      onDone: (r) => {
        signal?.removeEventListener('abort', onAbort);
        if (r.status === STATUS.OK) return onDone(null, new Reply(r));
        const extra = { httpStatus: r.httpStatus, requestId: r.requestId, text: r.text };
        if (r.status === STATUS.CANCELLED && signal?.aborted) extra.cause = signal.reason;
        const Cls = r.closed ? ClientClosedError : BY_STATUS[r.status] || Qwen3VLError;
        onDone(new Cls(r.error, { status: r.status, ...extra }));
      },
      // Leaving a stream early: the call is freed (cancelled), its later events dropped.
      release: () => {
        signal?.removeEventListener('abort', onAbort);
        this.#calls.delete(id);
        native.release(handle);
      },
    };
    this.#calls.set(id, call);
    return call;
  }

  /** Sends a request (an object, or JSON text) and resolves with the whole Reply. options: signal
   * (an AbortSignal) and per-call timeoutMs, idleTimeoutMs, maxRetries, headers, query. */
  chat(request, options = {}) {
    return new Promise((resolve, reject) => {
      this.#start(request, options, false, null, (err, reply) => (err ? reject(err) : resolve(reply)));
    });
  }

  /** Streams the reply: an async iterable of text deltas (strings). Leaving the loop early (break,
   * an exception) cancels the call. `stream.reply` resolves with the whole Reply, assembled. */
  stream(request, options = {}) {
    return new Stream((onDelta, onDone) => this.#start(request, options, true, onDelta, onDone));
  }

  /** Cancels every call in flight on this client (each rejects with RequestCancelledError). */
  cancelAll() {
    for (const call of this.#calls.values()) native.cancel(call.handle);
  }

  /** Frees the client now (garbage collection would, later): calls in flight reject with
   * ClientClosedError; later calls throw InvalidArgumentError. */
  close() {
    if (!this.#handle) return;
    native.close(this.#handle);
    this.#handle = undefined;
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const call of calls) call.onDone({ status: STATUS.CANCELLED, error: 'the client was closed', closed: true });
  }
}

class Stream {
  #call = null;
  #queue = [];
  #head = 0;
  #waiting = null; // { resolve, reject } of a next() waiting for a delta or the end
  #ended = false;
  #error = null;
  #replyResult = null; // [error, reply] once the call has ended
  #replyWaiters = [];

  constructor(start) {
    try {
      this.#call = start((delta) => this.#push(delta), (err, reply) => this.#end(err, reply));
    } catch (e) {
      this.#end(e, null); // bad arguments: the first next() rejects with it
    }
  }

  #push(delta) {
    if (this.#waiting) {
      const { resolve } = this.#waiting;
      this.#waiting = null;
      resolve({ value: delta, done: false });
    } else {
      this.#queue.push(delta);
    }
  }

  #end(err, reply) {
    this.#ended = true;
    this.#error = err;
    this.#replyResult = [err, reply];
    for (const w of this.#replyWaiters) (err ? w.reject(err) : w.resolve(reply));
    this.#replyWaiters = [];
    if (this.#waiting) {
      const { resolve, reject } = this.#waiting;
      this.#waiting = null;
      if (err) {
        this.#error = null; // reported once
        reject(err);
      } else {
        resolve({ value: undefined, done: true });
      }
    }
  }

  next() {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++];
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      const err = this.#error;
      this.#error = null;
      return err ? Promise.reject(err) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => { this.#waiting = { resolve, reject }; });
  }

  return() {
    if (!this.#ended) {
      this.#call.release();
      this.#end(new RequestCancelledError('the stream was left before its end', { status: STATUS.CANCELLED }), null);
    }
    this.#error = null;
    this.#queue = [];
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() { return this; }

  /** The whole Reply once the stream has ended (rejects with the stream's error). */
  get reply() {
    if (this.#replyResult) {
      const [err, reply] = this.#replyResult;
      return err ? Promise.reject(err) : Promise.resolve(reply);
    }
    return new Promise((resolve, reject) => this.#replyWaiters.push({ resolve, reject }));
  }
}

/** The library's version, e.g. "0.1.0". */
function version() { return native.version(); }

// ---- Images and grounding: synchronous (no I/O but an image file's header), no client needed -----

const PIXELS = Object.freeze({ GRAY8: 0, RGB8: 1, RGBA8: 2, BGRA8: 3, BGR8: 4 });

// Runs an addon helper; its failure becomes the Qwen3VLError subclass of its status.
function helper(fn, ...args) {
  try {
    return fn(...args);
  } catch (e) {
    if (typeof e.qwen3vlStatus === 'number') throw failure(e.qwen3vlStatus, e.message);
    throw e;
  }
}

function bytesOf(value) {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new InvalidArgumentError('bytes must be a Buffer, a typed array or an ArrayBuffer', { status: STATUS.INVALID_ARGUMENT });
}

/** Encoded image bytes (PNG, JPEG, ...) as "data:image/png;base64,...", the type taken from the bytes. */
function imageDataUri(bytes) { return helper(native.imageDataUri, bytesOf(bytes)); }

/** The same as a content part for a request's content array; detail: undefined, 'auto', 'low' or 'high'. */
function imagePart(bytes, detail) { return JSON.parse(helper(native.imagePartJson, bytesOf(bytes), detail ?? null)); }

/** Raw pixels (a decoded frame, a screenshot) as a PNG data URI; format: a PIXELS name or value,
 * stride: bytes from one row to the next (0: packed). */
function pixelsDataUri(pixels, width, height, { format = 'RGBA8', stride = 0 } = {}) {
  const code = typeof format === 'string' ? PIXELS[format.toUpperCase()] : format;
  if (code === undefined) throw new InvalidArgumentError(`unknown pixel format "${format}"`, { status: STATUS.INVALID_ARGUMENT });
  return helper(native.pixelsDataUri, bytesOf(pixels), width, height, stride, code);
}

/** { width, height } of an image file (a path) or of encoded image bytes, read from its header. */
function imageSize(pathOrBytes) {
  return typeof pathOrBytes === 'string' ? helper(native.imageSize, pathOrBytes) : helper(native.imageSizeFromBytes, bytesOf(pathOrBytes));
}

/** Vision tokens Qwen3-VL spends on a width x height image (0 for a limit: the model's own). */
function imageTokens(width, height, { minPixels = 0, maxPixels = 0 } = {}) {
  return helper(native.imageTokens, width, height, minPixels, maxPixels);
}

/** The boxes and points of a grounding answer in pixels of a width x height image:
 * [{ bbox_2d: [x1, y1, x2, y2], label: 'cat' }, { point_2d: [x, y], ... }]. */
function grounding(text, width, height) { return JSON.parse(helper(native.groundingParse, text, width, height)); }

module.exports = {
  version, Client, Stream, Reply, STATUS, PIXELS, imageDataUri, imagePart, pixelsDataUri, imageSize, imageTokens, grounding, Qwen3VLError, InvalidArgumentError, InvalidRequestError, FileError,
  APIConnectionError, APITimeoutError, AuthenticationError, RateLimitError, BadRequestError, ServerError,
  ProtocolError, ResponseTooLargeError, RequestCancelledError, ClientClosedError, InternalError,
};
