-- Tests of qwen3vl.lua: the JSON encoder, then calls against the stand-in server (its port in
-- STAND_IN_PORT). Run: luajit test.lua (with qwen3vl.lua on LUA_PATH). Exits 1 on a failure.
local q = require "qwen3vl"
local ffi = require "ffi"
ffi.cdef [[
struct qwen3vl_test_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct qwen3vl_test_timespec *t);
]]
local function now_ms()
  local t = ffi.new("struct qwen3vl_test_timespec")
  ffi.C.clock_gettime(1, t) -- CLOCK_MONOTONIC
  return tonumber(t.tv_sec) * 1e3 + tonumber(t.tv_nsec) / 1e6
end

local port = assert(os.getenv("STAND_IN_PORT"), "STAND_IN_PORT is not set (source scripts/stand-in.sh)")
local uid = 0
local function client_for(scenario)
  uid = uid + 1
  return assert(q.Client{api_key = "k", max_retries = 0,
                         base_url = ("http://127.0.0.1:%s/s/%s/lua%d/v1"):format(port, scenario, uid)})
end
local HELLO = '{"messages": [{"role": "user", "content": "Hello there"}]}'
local HEADER = assert(os.getenv("QWEN3VL_HEADER"), "QWEN3VL_HEADER is not set (the path of include/qwen3vl.h)")

local tests, failed = {}, 0
local function test(name, fn) tests[#tests + 1] = {name, fn} end
local function eq(got, want, what)
  if got ~= want then error(("%s: got %s, wanted %s"):format(what or "value", tostring(got), tostring(want)), 2) end
end

test("json encodes values as JSON", function()
  eq(q.json('a"b\\c\n\t\r\b\f\0\1\31\127 é ☃'), '"a\\"b\\\\c\\n\\t\\r\\b\\f\\u0000\\u0001\\u001f\\u007f é ☃"', "string")
  eq(q.json(1), "1"); eq(q.json(-42), "-42"); eq(q.json(1.5), "1.5"); eq(q.json(0.1), "0.1")
  eq(q.json(1e300), "1e+300"); eq(q.json(2 ^ 53), "9007199254740992"); eq(q.json(-0.25), "-0.25")
  eq(q.json(1 / 3), string.format("%.17g", 1 / 3)); eq(tonumber(q.json(1 / 3)), 1 / 3, "round trip")
  eq(q.json(12345678901234567LL), "12345678901234567", "int64"); eq(q.json(true), "true"); eq(q.json(q.null), "null")
  eq(q.json({1, "two", false}), '[1,"two",false]', "array")
  eq(q.json({}), "{}", "empty table"); eq(q.json(q.array()), "[]", "empty array"); eq(q.json(q.array{3}), "[3]")
  eq(q.json({b = 1, a = {x = q.null}, c = {}}), '{"a":{"x":null},"b":1,"c":{}}', "object, keys sorted")
  eq(q.json({messages = {{role = "user", content = {{type = "text", text = "hi"}}}}}),
     '{"messages":[{"content":[{"text":"hi","type":"text"}],"role":"user"}]}', "nested")
  local function refused(v, why)
    local s, err = q.json(v)
    assert(s == nil and err:find(why, 1, true), ("%s: got %s, %s"):format(why, tostring(s), tostring(err)))
  end
  refused(0 / 0, "nan"); refused(math.huge, "inf"); refused(print, "function")
  refused({[1] = 1, [3] = 3}, "keys must be strings"); refused({1, x = 2}, "keys must be strings")
  local cyclic = {}; cyclic.self = cyclic
  refused(cyclic, "contains itself")
end)

test("chat returns a reply table", function()
  local c = client_for("ok")
  local r = assert(c:chat(HELLO))
  eq(r.text, "echo: Hello there", "text"); eq(r.finish_reason, "stop"); eq(r.http_status, 200); eq(r.attempts, 1)
  assert(r.request_id:find("^inf%-"), r.request_id)
  eq(r.usage.prompt_tokens, 11, "prompt tokens"); assert(r.usage.total_tokens > r.usage.completion_tokens)
  assert(r.json:find('"chat.completion"', 1, true) and r.tool_calls_json == nil and r.elapsed_ms > 0)
  -- A table request, escapes and all.
  r = assert(c:chat{messages = {{role = "user", content = 'say "hi" \\ ☃\n'}}})
  eq(r.text, 'echo: say "hi" \\ ☃\n', "text of a table request")
end)

test("failures are nil, err pairs", function()
  local r, err = client_for("status:401"):chat(HELLO)
  assert(r == nil and err.status == q.ERR_AUTH and err.name == "QWEN3VL_ERR_AUTH" and err.http_status == 401)
  assert(err.message:find("stand-in says 401", 1, true) and tostring(err) == "QWEN3VL_ERR_AUTH: " .. err.message)
  local c
  c, err = q.Client{timeout_ms = "soon"}
  assert(c == nil and err.status == q.ERR_INVALID_ARGUMENT and err.message:find("timeout_ms"), tostring(err))
  c, err = q.Client{headers = {1, nil, 3}}
  assert(c == nil and err.status == q.ERR_INVALID_ARGUMENT and err.message:find("options"), tostring(err))
  c = client_for("ok")
  r, err = c:chat{messages = {{role = "user", content = 5}}}
  assert(r == nil and err.status == q.ERR_INVALID_REQUEST and err.message:find("messages[0].content", 1, true), tostring(err))
  r, err = c:chat(42)
  assert(r == nil and err.status == q.ERR_INVALID_REQUEST and err.message:find("not a number"), tostring(err))
  r, err = c:chat(HELLO, {timeout_ms = -1})
  assert(r == nil and err.status == q.ERR_INVALID_ARGUMENT and err.message:find("timeout_ms"), tostring(err))
end)

test("stream hands over deltas and assembles the reply", function()
  local c = client_for("sse")
  local seen, chunks = {}, 0
  local r = assert(c:stream(HELLO, function(delta, chunk)
    seen[#seen + 1] = delta
    chunks = chunks + (chunk:find("chat.completion.chunk", 1, true) and 1 or 0)
  end))
  eq(table.concat(seen), r.text, "deltas"); eq(r.text, "echo: Hello there"); assert(chunks > 10)
  -- false stops it; what had come is in err.text.
  seen = {}
  local _, err = c:stream(HELLO, function(delta)
    seen[#seen + 1] = delta
    return #table.concat(seen) < 4
  end)
  assert(err.status == q.ERR_CANCELLED and table.concat(seen) == "echo" and err.text == "echo", tostring(err))
  -- An error raised by on_delta stops the call and goes on to the caller; the client goes on.
  local ok, msg = pcall(c.stream, c, HELLO, function(delta) if delta == "o" then error("boom") end end)
  assert(not ok and msg:find("boom"), tostring(msg))
  eq(assert(c:stream(HELLO, function() end)).text, "echo: Hello there", "after an error")
end)

test("non-blocking calls, dispatched together", function()
  local c = client_for("ok")
  local streamed = {}
  local a = assert(c:start('{"messages": [{"role": "user", "content": "one"}]}',
                           {stream = true, on_delta = function(d) streamed[#streamed + 1] = d end}))
  local b = assert(c:start{messages = {{role = "user", content = "two"}}})
  assert(not a:done() and not b:done() and c:event_fd() >= 0)
  local t0 = now_ms()
  while not (a:done() and b:done()) and now_ms() - t0 < 10000 do c:dispatch(100) end
  eq(assert(a:result()).text, "echo: one"); eq(table.concat(streamed), "echo: one", "streamed")
  eq(assert(b:wait()).text, "echo: two")
end)

test("cancel, drop and close", function()
  local c = client_for("slow:3000")
  local call = assert(c:start(HELLO))
  assert(c:start(HELLO)) -- dropped at once: collected, its C call freed (cancelled)
  collectgarbage(); collectgarbage()
  local t0 = now_ms()
  call:cancel()
  local r, err = call:wait()
  assert(r == nil and err.status == q.ERR_CANCELLED and now_ms() - t0 < 1500, tostring(err))
  c:cancel_all()
  -- close: calls in flight end cancelled, later ones are refused.
  local running = assert(c:start(HELLO))
  c:close()
  r, err = running:wait()
  assert(r == nil and err.status == q.ERR_CANCELLED, tostring(err))
  r, err = c:chat(HELLO)
  assert(r == nil and err.message:find("closed"), tostring(err))
  c:close()
  eq(q.version(), "0.1.0"); eq(q.status_name(q.ERR_TIMEOUT), "QWEN3VL_ERR_TIMEOUT")
end)

-- The header of a PNG of width x height: what the library reads an image's type and size from.
local function png_header(w, h)
  local function be32(v) return string.char(bit.band(bit.rshift(v, 24), 255), bit.band(bit.rshift(v, 16), 255),
                                            bit.band(bit.rshift(v, 8), 255), bit.band(v, 255)) end
  return "\137PNG\r\n\26\n\0\0\0\13IHDR" .. be32(w) .. be32(h) .. string.rep("\0", 17)
end

test("image helpers", function()
  local png = png_header(1000, 500)
  local w, h = q.image_size_from_bytes(png)
  assert(w == 1000 and h == 500, tostring(h))
  local uri = assert(q.image_data_uri(png))
  assert(uri:find("^data:image/png;base64,iVBORw0KGgo") and #uri == 22 + math.floor((#png + 2) / 3) * 4, uri)
  assert(assert(q.image_part_json(png, "low")):find('"detail":"low"', 1, true))
  eq(q.image_tokens(1000, 500), 496, "tokens")
  local path = os.tmpname()
  local f = assert(io.open(path, "wb")); f:write(png); f:close()
  w, h = q.image_size(path)
  os.remove(path)
  assert(w == 1000 and h == 500, tostring(h))
  local rgb = string.char(255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255)
  assert(assert(q.pixels_data_uri(rgb, 2, 2, q.PIXELS_RGB8)):find("^data:image/png;base64,"))
  local boxes = assert(q.grounding_parse('```json\n[{"bbox_2d": [100, 200, 500, 800], "label": "cat"}]\n```', 1000, 500))
  eq(boxes:gsub(" ", ""), '[{"bbox_2d":[100,100,500,400],"label":"cat"}]', "grounding") -- the model's spacing is kept
  eq(q.grounding_parse("", 10, 10), "[]", "no grounding")
  -- Failures are nil, err with the library's status and message.
  local function status_of(v, err) return v == nil and err.message ~= "" and err.status end
  eq(status_of(q.image_data_uri("not an image")), q.ERR_FILE, "not an image")
  eq(status_of(q.image_size("/nonexistent/cat.png")), q.ERR_FILE, "no file")
  eq(status_of(q.image_tokens(0, 10)), q.ERR_INVALID_ARGUMENT, "no width")
  eq(status_of(q.pixels_data_uri(rgb:sub(1, 3), 2, 2, q.PIXELS_RGB8)), q.ERR_INVALID_ARGUMENT, "short pixels")
  eq(status_of(q.image_size_from_bytes(42)), q.ERR_INVALID_ARGUMENT, "bytes not a string")
end)

test("the numbers copied from qwen3vl.h are the header's", function()
  local header = {}
  for name, value in io.open(HEADER):read("*a"):gmatch("\n#define QWEN3VL_([%w_]+)%s+(%d+)") do header[name] = tonumber(value) end
  local statuses = 0
  for name, value in pairs(header) do
    if name == "OK" or name:find("^ERR_") or name:find("^PIXELS_") then
      eq(q[name], value, name)
      statuses = statuses + 1
    end
  end
  assert(statuses >= 19, "the header's statuses and pixel formats were not found")
  -- The event kind the module tells deltas by: read from its source, held to the header.
  local source = io.open(package.searchpath("qwen3vl", package.path)):read("*a")
  eq(tonumber(source:match("local EVENT_DELTA = (%d+)")), header.EVENT_DELTA, "EVENT_DELTA")
end)

for _, t in ipairs(tests) do
  local ok, err = xpcall(t[2], debug.traceback)
  print((ok and "ok   " or "FAIL ") .. t[1])
  if not ok then
    failed = failed + 1
    io.stderr:write("    ", err, "\n")
  end
end
print(("%d passed, %d failed"):format(#tests - failed, failed))
os.exit(failed == 0 and 0 or 1)
