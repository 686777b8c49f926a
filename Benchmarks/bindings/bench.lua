-- One non-streamed call at a time through the LuaJIT binding, as floor.c does it from C:
--   luajit bench.lua BASE N text|table   -> one JSON line: wall and CPU time per call (os.clock is
--   the process's CPU time, all threads)
local q = require "qwen3vl"
local ffi = require "ffi"
ffi.cdef [[
struct bench_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct bench_timespec *t);
]]
local function now_ms()
  local t = ffi.new("struct bench_timespec")
  ffi.C.clock_gettime(1, t)
  return tonumber(t.tv_sec) * 1e3 + tonumber(t.tv_nsec) / 1e6
end

local base, n, form = arg[1], tonumber(arg[2]), arg[3]
local c = assert(q.Client{api_key = "k", max_retries = 0, base_url = base})
local text = '{"model":"alibaba/qwen3-vl-32b-instruct","messages":[{"role":"user","content":"Describe the image."}]}'
local ok, t0, c0 = 0, 0, 0
for i = -5, n - 1 do
  if i == 0 then t0, c0 = now_ms(), os.clock() end
  -- A table is built per call, as a program building its requests does.
  local request = form == "table"
    and {model = "alibaba/qwen3-vl-32b-instruct", messages = {{role = "user", content = "Describe the image."}}} or text
  local r = c:chat(request)
  if i >= 0 and r and r.text ~= "" then ok = ok + 1 end
end
print(('{"contender":"%s","us_per_op":%.2f,"cpu_us_per_op":%.2f,"ok":%d,"n":%d}'):format(
  form == "table" and "LuaJIT (table)" or "LuaJIT (JSON text)", (now_ms() - t0) * 1000 / n, (os.clock() - c0) * 1e6 / n, ok, n))
