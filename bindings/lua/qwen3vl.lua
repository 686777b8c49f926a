--- qwen3vl: LuaJIT binding of libqwen3vl on the FFI.
--
--   local q = require "qwen3vl"
--   local c = assert(q.Client())                 -- key and base URL from AIML_API_KEY / AIML_API_BASE
--   local r, err = c:chat{messages = {{role = "user", content = "Hello"}}}
--   if r then print(r.text) else print(err) end  -- err.status, err.name, err.message, ...
--   c:stream(request, function(delta) io.write(delta) end)
--
-- Requests and options are JSON text or Lua tables (encoded by q.json). Failures are `nil, err`
-- pairs; err is a table (status, name, message, http_status, request_id, text) that prints as
-- "QWEN3VL_ERR_...: message". Every call runs on the library's non-blocking API: its events are
-- taken on the Lua thread (no FFI callbacks), by whichever of c:chat, c:stream, call:wait or
-- c:dispatch is waiting, and handed to the call they belong to. Handles are freed by ffi.gc.
local ffi = require "ffi"

ffi.cdef [[
typedef struct qwen3vl_client qwen3vl_client;
typedef struct qwen3vl_result qwen3vl_result;
typedef struct qwen3vl_call qwen3vl_call;
typedef struct qwen3vl_event qwen3vl_event;
const char *qwen3vl_version(void);
const char *qwen3vl_status_name(int status);
qwen3vl_client *qwen3vl_client_new(const char *options_json, char *errbuf, size_t errbuf_size);
void qwen3vl_client_free(qwen3vl_client *client);
void qwen3vl_client_cancel_all(qwen3vl_client *client);
qwen3vl_call *qwen3vl_call_start(qwen3vl_client *client, const char *request_json, const char *call_options_json, void *user_data);
int qwen3vl_client_event_fd(qwen3vl_client *client);
qwen3vl_event *qwen3vl_client_next_event(qwen3vl_client *client, int timeout_ms);
int qwen3vl_event_kind(const qwen3vl_event *ev);
void *qwen3vl_event_user_data(const qwen3vl_event *ev);
const char *qwen3vl_event_text(const qwen3vl_event *ev, size_t *len);
const char *qwen3vl_event_chunk_json(const qwen3vl_event *ev);
void qwen3vl_event_free(qwen3vl_event *ev);
void qwen3vl_call_cancel(qwen3vl_call *call);
qwen3vl_result *qwen3vl_call_result(qwen3vl_call *call);
void qwen3vl_call_free(qwen3vl_call *call);
int qwen3vl_result_status(const qwen3vl_result *r);
const char *qwen3vl_result_error(const qwen3vl_result *r);
int qwen3vl_result_http_status(const qwen3vl_result *r);
const char *qwen3vl_result_text(const qwen3vl_result *r);
size_t qwen3vl_result_text_len(const qwen3vl_result *r);
const char *qwen3vl_result_finish_reason(const qwen3vl_result *r);
const char *qwen3vl_result_json(const qwen3vl_result *r);
const char *qwen3vl_result_request_id(const qwen3vl_result *r);
int64_t qwen3vl_result_tokens(const qwen3vl_result *r, int kind);
int qwen3vl_result_attempts(const qwen3vl_result *r);
const char *qwen3vl_result_tool_calls_json(const qwen3vl_result *r);
double qwen3vl_result_elapsed_ms(const qwen3vl_result *r);
void qwen3vl_free(void *p);
int qwen3vl_image_data_uri(const void *bytes, size_t len, char **out, size_t *out_len, char *errbuf, size_t errbuf_size);
int qwen3vl_image_part_json(const void *bytes, size_t len, const char *detail, char **out, size_t *out_len,
                            char *errbuf, size_t errbuf_size);
int qwen3vl_pixels_data_uri(const void *pixels, size_t pixels_len, int width, int height, size_t stride,
                            int format, char **out, size_t *out_len, char *errbuf, size_t errbuf_size);
int qwen3vl_image_size(const char *path, int *width, int *height, char *errbuf, size_t errbuf_size);
int qwen3vl_image_size_from_bytes(const void *bytes, size_t len, int *width, int *height, char *errbuf, size_t errbuf_size);
int qwen3vl_image_tokens(int width, int height, int64_t min_pixels, int64_t max_pixels, int64_t *tokens,
                         char *errbuf, size_t errbuf_size);
int qwen3vl_grounding_parse(const char *text, size_t text_len, int width, int height, char **out, size_t *out_len,
                            char *errbuf, size_t errbuf_size);
]]

-- The library: QWEN3VL_LIB names a file; else the runtime name, then the development link.
local function load_library()
  local tried, names = {}, {"libqwen3vl.so.0", "qwen3vl"}
  if os.getenv("QWEN3VL_LIB") then table.insert(names, 1, os.getenv("QWEN3VL_LIB")) end
  for _, name in ipairs(names) do
    local ok, lib = pcall(ffi.load, name)
    if ok then return lib end
    tried[#tried + 1] = tostring(lib)
  end
  error("qwen3vl: cannot load libqwen3vl (" .. table.concat(tried, "; ") .. ")", 0)
end
local C = load_library()

local q = {}

function q.version() return ffi.string(C.qwen3vl_version()) end
function q.status_name(status) return ffi.string(C.qwen3vl_status_name(status)) end

-- Status codes, q.OK and q.ERR_AUTH and the rest, named by the library itself (codes run from 0).
for code = 0, 255 do
  local name = q.status_name(code)
  if name == "QWEN3VL_ERR_UNKNOWN" then break end
  q[name:sub(9)] = code
end
local EVENT_DELTA = 1 -- QWEN3VL_EVENT_DELTA (test.lua holds it, and q.PIXELS_*, to the header)

---------------------------------------------------------------------------------------------------
-- JSON encoding of Lua values. A table is an array when its keys are exactly 1..n (n >= 1), or
-- when made with q.array (so an empty one is []); any other table is an object, its keys strings,
-- written in sorted order. q.null is JSON's null. Numbers that are whole (and within 2^53) are
-- written as integers; NaN and infinities cannot be written.

q.null = setmetatable({}, {__tostring = function() return "qwen3vl.null" end})
local array_mt = {}
function q.array(t) return setmetatable(t or {}, array_mt) end

local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n',
                 ['\r'] = '\\r', ['\t'] = '\\t'}
local function escape(c) return escapes[c] or string.format("\\u%04x", c:byte()) end

local function number(n)
  if n ~= n or n == math.huge or n == -math.huge then error("cannot encode " .. tostring(n) .. " as JSON", 0) end
  if n == math.floor(n) and math.abs(n) < 2 ^ 53 then return string.format("%d", n) end
  local s = string.format("%.14g", n)
  if tonumber(s) ~= n then s = string.format("%.17g", n) end
  return s
end

local function is_sequence(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n or k ~= math.floor(k) then return false end
    count = count + 1
  end
  return count == n
end

local function encode(v, out, seen)
  local t = type(v)
  if v == q.null then
    out[#out + 1] = "null"
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', escape) .. '"'
  elseif t == "number" then
    out[#out + 1] = number(v)
  elseif t == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif t == "cdata" and (ffi.istype("int64_t", v) or ffi.istype("uint64_t", v)) then
    out[#out + 1] = (tostring(v):gsub("U?LL$", ""))
  elseif t == "table" then
    if seen[v] then error("cannot encode a table that contains itself as JSON", 0) end
    seen[v] = true
    if getmetatable(v) == array_mt or is_sequence(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out, seen)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) ~= "string" then error("cannot encode a table with key " .. tostring(k) .. " as a JSON object (keys must be strings)", 0) end
        keys[#keys + 1] = k
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        encode(k, out, seen)
        out[#out + 1] = ":"
        encode(v[k], out, seen)
      end
      out[#out + 1] = "}"
    end
    seen[v] = nil
  else
    error("cannot encode a " .. t .. " as JSON", 0)
  end
end

--- JSON text of a Lua value; nil and a message if it has no JSON form.
function q.json(v)
  local out = {}
  local ok, err = pcall(encode, v, out, {})
  if not ok then return nil, err end
  return table.concat(out)
end

---------------------------------------------------------------------------------------------------
-- Errors and replies.

local error_mt = {__tostring = function(e) return e.name .. ": " .. e.message end}
local function new_error(status, message, extra)
  local e = extra or {}
  e.status, e.name, e.message = status, q.status_name(status), message
  return setmetatable(e, error_mt)
end

-- JSON text as it is, or a table encoded; nil and an error of the given status otherwise.
local function json_arg(v, what, status)
  if type(v) == "string" then return v end
  if type(v) ~= "table" then return nil, new_error(status, what .. " must be JSON text or a table, not a " .. type(v)) end
  local s, err = q.json(v)
  if not s then return nil, new_error(status, what .. ": " .. err) end
  return s
end

local function str(p) return p ~= nil and ffi.string(p) or "" end

-- The reply table of a finished call, or nil and its error.
local function outcome(r)
  if r == nil then return nil, new_error(q.ERR_INTERNAL, "the call ended without a result") end
  local text = ffi.string(C.qwen3vl_result_text(r), C.qwen3vl_result_text_len(r))
  local status = C.qwen3vl_result_status(r)
  local http_status, request_id = C.qwen3vl_result_http_status(r), str(C.qwen3vl_result_request_id(r))
  if status ~= q.OK then
    return nil, new_error(status, str(C.qwen3vl_result_error(r)),
                          {http_status = http_status, request_id = request_id, text = text})
  end
  local function tokens(kind)
    local n = tonumber(C.qwen3vl_result_tokens(r, kind))
    return n >= 0 and n or nil
  end
  local calls = str(C.qwen3vl_result_tool_calls_json(r))
  return {
    text = text,
    finish_reason = str(C.qwen3vl_result_finish_reason(r)),
    request_id = request_id,
    json = str(C.qwen3vl_result_json(r)),
    tool_calls_json = calls ~= "" and calls or nil,
    usage = {prompt_tokens = tokens(0), completion_tokens = tokens(1), total_tokens = tokens(2)},
    http_status = http_status,
    attempts = C.qwen3vl_result_attempts(r),
    elapsed_ms = C.qwen3vl_result_elapsed_ms(r),
  }
end

---------------------------------------------------------------------------------------------------
-- Calls.

local Call = {}
Call.__index = Call

--- Cancels the call: it ends with ERR_CANCELLED (wait still returns, with that error).
function Call:cancel()
  if self.raw then C.qwen3vl_call_cancel(self.raw) end
end

--- True once the call has ended (its outcome is in call:result()).
function Call:done() return self.reply ~= nil or self.err ~= nil end

--- The call's reply, or nil and its error; nil, nil while it runs.
function Call:result() return self.reply, self.err end

--- Takes events (this call's and others') until this call has ended; then its reply or nil, err.
function Call:wait()
  while not self:done() and self.client.raw do self.client:dispatch(-1) end
  return self.reply, self.err
end

-- A DELTA for this call: to on_delta, unless the call was stopped. A false return stops it; an
-- error raised by on_delta cancels the call and goes on up to whoever was dispatching.
function Call:_delta(text, chunk)
  if self.stopped or not self.on_delta then return end
  local ok, go_on = pcall(self.on_delta, text, chunk)
  if not ok then
    self.stopped = true
    self:cancel()
    error(go_on, 0)
  end
  if go_on == false then
    self.stopped = true
    self:cancel()
  end
end

-- The DONE event: the outcome is kept and the C call freed at once.
function Call:_done()
  self.reply, self.err = outcome(C.qwen3vl_call_result(self.raw))
  C.qwen3vl_call_free(ffi.gc(self.raw, nil))
  self.raw = nil
  self.client.calls[self.id] = nil
end

---------------------------------------------------------------------------------------------------
-- Clients.

local Client = {}
Client.__index = Client

--- A client; options are nil, JSON text or a table (timeout_ms, base_url, api_key, ...).
function q.Client(options)
  local opts, err = nil, nil
  if options ~= nil then
    opts, err = json_arg(options, "options", q.ERR_INVALID_ARGUMENT)
    if not opts then return nil, err end
  end
  local errbuf = ffi.new("char[512]")
  local raw = C.qwen3vl_client_new(opts, errbuf, 512)
  if raw == nil then return nil, new_error(q.ERR_INVALID_ARGUMENT, ffi.string(errbuf)) end
  -- calls: id -> Call, weakly: a call nobody holds is collected, and its C call freed (cancelled).
  return setmetatable({raw = ffi.gc(raw, C.qwen3vl_client_free), calls = setmetatable({}, {__mode = "v"}),
                       next_id = 0}, Client)
end

--- Starts a call and returns it at once. opts: per-call options (stream, timeout_ms,
-- idle_timeout_ms, max_retries, headers, query) and on_delta = function(delta, chunk_json), run
-- for each streamed piece while events are dispatched; returning false stops the call.
function Client:start(request, opts)
  if not self.raw then return nil, new_error(q.ERR_INVALID_ARGUMENT, "the client is closed") end
  local req, err = json_arg(request, "request", q.ERR_INVALID_REQUEST)
  if not req then return nil, err end
  local call_opts, on_delta = {}, nil
  for k, v in pairs(opts or {}) do
    if k == "on_delta" then on_delta = v else call_opts[k] = v end
  end
  local copts
  copts, err = json_arg(call_opts, "call options", q.ERR_INVALID_ARGUMENT)
  if not copts then return nil, err end
  self.next_id = self.next_id + 1
  local id = self.next_id
  local raw = C.qwen3vl_call_start(self.raw, req, copts ~= "{}" and copts or nil, ffi.cast("void *", id))
  if raw == nil then return nil, new_error(q.ERR_INTERNAL, "out of memory") end
  local call = setmetatable({client = self, id = id, raw = ffi.gc(raw, C.qwen3vl_call_free), on_delta = on_delta}, Call)
  self.calls[id] = call
  return call
end

--- Takes the events that wait (waiting up to timeout_ms for the first: 0 not at all, -1 until one
-- comes) and hands each to its call. Returns how many it took. For hosts with a loop: call it
-- with 0 when client:event_fd() is readable.
function Client:dispatch(timeout_ms)
  local n = 0
  local len = ffi.new("size_t[1]")
  while self.raw do
    local ev = C.qwen3vl_client_next_event(self.raw, n == 0 and timeout_ms or 0)
    if ev == nil then break end
    n = n + 1
    local call = self.calls[tonumber(ffi.cast("intptr_t", C.qwen3vl_event_user_data(ev)))]
    if C.qwen3vl_event_kind(ev) == EVENT_DELTA then
      local text = ffi.string(C.qwen3vl_event_text(ev, len), len[0])
      local chunk = ffi.string(C.qwen3vl_event_chunk_json(ev))
      C.qwen3vl_event_free(ev)
      if call then call:_delta(text, chunk) end
    else
      C.qwen3vl_event_free(ev)
      if call then call:_done() end
    end
  end
  return n
end

--- The descriptor that is readable while events wait (never read or close it).
function Client:event_fd() return self.raw and C.qwen3vl_client_event_fd(self.raw) or -1 end

--- Sends a request and waits for the whole reply: reply, or nil and an error.
function Client:chat(request, opts)
  local call, err = self:start(request, opts)
  if not call then return nil, err end
  return call:wait()
end

--- Streams the reply: on_delta(delta, chunk_json) for each piece; returning false stops the call
-- (nil, err with ERR_CANCELLED). Returns the whole reply, assembled, or nil and an error.
function Client:stream(request, on_delta, opts)
  local o = {stream = true, on_delta = on_delta}
  for k, v in pairs(opts or {}) do o[k] = v end
  return self:chat(request, o)
end

--- Cancels every call in flight on this client.
function Client:cancel_all()
  if self.raw then C.qwen3vl_client_cancel_all(self.raw) end
end

--- Frees the client now (ffi.gc would later): calls in flight end with ERR_CANCELLED.
function Client:close()
  if not self.raw then return end
  C.qwen3vl_client_free(ffi.gc(self.raw, nil))
  self.raw = nil
  for id, call in pairs(self.calls) do
    C.qwen3vl_call_free(ffi.gc(call.raw, nil))
    call.raw, call.err = nil, new_error(q.ERR_CANCELLED, "the client was closed")
    self.calls[id] = nil
  end
end


---------------------------------------------------------------------------------------------------
-- Images and grounding: for hosts that hold images in memory, and for planning. No client needed.
-- Bytes are Lua strings; failures are nil, err as for calls (ERR_FILE for bytes or a file that is
-- no image of a known type, ERR_INVALID_ARGUMENT for a bad argument).

q.PIXELS_GRAY8, q.PIXELS_RGB8, q.PIXELS_RGBA8, q.PIXELS_BGRA8, q.PIXELS_BGR8 = 0, 1, 2, 3, 4 -- QWEN3VL_PIXELS_*

-- Runs call(out, out_len, errbuf, errbuf_size), a helper that hands over text (freed here): the
-- text, or nil and the failure.
local function text_out(call)
  local out, len, errbuf = ffi.new("char *[1]"), ffi.new("size_t[1]"), ffi.new("char[512]")
  local status = call(out, len, errbuf, 512)
  local text = out[0] ~= nil and ffi.string(out[0], len[0]) or nil
  C.qwen3vl_free(out[0])
  if status ~= q.OK then return nil, new_error(status, ffi.string(errbuf)) end
  return text
end

local function bytes_arg(what, s)
  if type(s) ~= "string" then return nil, new_error(q.ERR_INVALID_ARGUMENT, what .. " must be a string of bytes") end
  return s
end

--- Encoded image bytes (PNG, JPEG, ...) as "data:image/png;base64,...", the type taken from the bytes.
function q.image_data_uri(bytes)
  local b, err = bytes_arg("bytes", bytes)
  if not b then return nil, err end
  return text_out(function(out, len, e, n) return C.qwen3vl_image_data_uri(b, #b, out, len, e, n) end)
end

--- The same as a content part (JSON text) for a request's content array; detail: nil, "auto", "low" or "high".
function q.image_part_json(bytes, detail)
  local b, err = bytes_arg("bytes", bytes)
  if not b then return nil, err end
  return text_out(function(out, len, e, n) return C.qwen3vl_image_part_json(b, #b, detail, out, len, e, n) end)
end

--- Raw pixels (a string, rows stride bytes apart; stride nil or 0: packed) as a PNG data URI;
-- format is one of q.PIXELS_*.
function q.pixels_data_uri(pixels, width, height, format, stride)
  local p, err = bytes_arg("pixels", pixels)
  if not p then return nil, err end
  return text_out(function(out, len, e, n)
    return C.qwen3vl_pixels_data_uri(p, #p, width, height, stride or 0, format, out, len, e, n)
  end)
end

local function size_out(status, w, h, errbuf)
  if status ~= q.OK then return nil, new_error(status, ffi.string(errbuf)) end
  return w[0], h[0]
end

--- Width and height of an image file, read from its header: w, h or nil, err.
function q.image_size(path)
  if type(path) ~= "string" then return nil, new_error(q.ERR_INVALID_ARGUMENT, "path must be a string") end
  local w, h, errbuf = ffi.new("int[1]"), ffi.new("int[1]"), ffi.new("char[512]")
  return size_out(C.qwen3vl_image_size(path, w, h, errbuf, 512), w, h, errbuf)
end

--- Width and height of encoded image bytes: w, h or nil, err.
function q.image_size_from_bytes(bytes)
  local b, err = bytes_arg("bytes", bytes)
  if not b then return nil, err end
  local w, h, errbuf = ffi.new("int[1]"), ffi.new("int[1]"), ffi.new("char[512]")
  return size_out(C.qwen3vl_image_size_from_bytes(b, #b, w, h, errbuf, 512), w, h, errbuf)
end

--- Vision tokens Qwen3-VL spends on a width x height image (nil or 0 for a limit: the model's own).
function q.image_tokens(width, height, min_pixels, max_pixels)
  local tokens, errbuf = ffi.new("int64_t[1]"), ffi.new("char[512]")
  local status = C.qwen3vl_image_tokens(width, height, min_pixels or 0, max_pixels or 0, tokens, errbuf, 512)
  if status ~= q.OK then return nil, new_error(status, ffi.string(errbuf)) end
  return tonumber(tokens[0])
end

--- The boxes and points of a grounding answer in pixels of a width x height image, as JSON text
-- ('[{"bbox_2d":[x1,y1,x2,y2],"label":"cat"}]'; "[]" for none).
function q.grounding_parse(text, width, height)
  local t, err = bytes_arg("text", text)
  if not t then return nil, err end
  return text_out(function(out, len, e, n) return C.qwen3vl_grounding_parse(t, #t, width, height, out, len, e, n) end)
end

return q
