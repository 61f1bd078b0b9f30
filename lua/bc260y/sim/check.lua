-- bc260y.sim.check: `bc260y check EXERCISE SCRIPT` grades a student's lab script. The
-- script runs as under `bc260y run`, against a fresh virtual module and its in-process
-- platform (bc260y.sim.platform); then each task of the exercise is judged by what the
-- platform saw (its event log: registrations, uplinks with their CON flag and RAI,
-- downlinks sent, deregistration, DFOTA) and, where the platform cannot see it, by the
-- virtual module's own state (downlinks left unread, deep sleeps, error answers). A verdict
-- per task is printed in the reader's language (bc260y.i18n); the status is 0 when every
-- graded task passed.
--
-- An exercise's tasks are data, one file per exercise: docs/lab/checks/<exercise>.lua
-- returns {tasks = {{en =, zh =, expect = {condition, ...}}, ...}}; a task the platform
-- cannot see (what the script prints) says ungraded = true instead. A condition is one of
--   {event = NAME, field = value..., min =, max =, after = NAME}
--       platform events named NAME whose fields equal the given ones (an uplink's data is
--       compared as `hex`), counted only after the last event named `after`; the count
--       must be at least min (default 1) and at most max
--   {module = FIELD, min =, max =}
--       a number from the virtual module after the script: s:state()'s fields (buffered,
--       received, dropped, reboots...), sleeps (deep sleeps entered), wakeups (deep
--       sleeps left), cme_<n> (+CME ERROR: <n> answers the module gave)
local i18n = require("bc260y.i18n")
local paths = require("bc260y.paths")

local check = {}

-- The directories that may hold the exercises' task files, best first (an install's
-- share/bc260y/lab/checks, then the source tree's docs/lab/checks).
local function check_dirs()
  local dirs = {}
  for _, examples in ipairs(paths.example_dirs()) do
    local root = examples:match("^(.*)/examples$") or "."
    dirs[#dirs + 1] = root .. "/lab/checks"
    dirs[#dirs + 1] = root .. "/docs/lab/checks"
  end
  dirs[#dirs + 1] = "docs/lab/checks"
  return dirs
end

local function readable(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

-- The task file of an exercise given as a path, a full name ("03-con-non-rai") or its
-- number ("3", "03"). Returns path | nil, message.
function check.find(exercise)
  if exercise:find("/", 1, true) then
    if readable(exercise) then return exercise end
    return nil, i18n.t("check.no_exercise", exercise)
  end
  local number = math.tointeger(tonumber(exercise))
  for _, dir in ipairs(check_dirs()) do
    if number then
      local p = io.popen(("ls %s/%02d-*.lua 2>/dev/null"):format(paths.shell_quote(dir), number))
      local found = p and p:read("l")
      if p then p:close() end
      if found then return found end
    elseif readable(dir .. "/" .. exercise .. ".lua") then
      return dir .. "/" .. exercise .. ".lua"
    end
  end
  return nil, i18n.t("check.no_exercise", exercise)
end

-- A task file is data: it runs with no globals at all.
function check.load(path)
  local chunk, err = loadfile(path, "t", {})
  if not chunk then return nil, err end
  local ok, def = pcall(chunk)
  if not ok then return nil, def end
  if type(def) ~= "table" or type(def.tasks) ~= "table" then
    return nil, path .. ": expected {tasks = {...}}"
  end
  return def
end

local RESERVED = {event = true, module = true, min = true, max = true, after = true}

-- The numbers a `module` condition reads, from a virtual module after the script.
local function module_facts(s)
  local facts = {}
  for k, v in pairs(s:state()) do
    if type(v) == "number" then facts[k] = v end
  end
  facts.sleeps = s.module.sleeps
  local wakeups = 0
  for _, n in pairs(s.module.wakeups) do wakeups = wakeups + n end
  facts.wakeups = wakeups
  return facts
end

-- Runs the script (a path) the way `bc260y run --port sim` does and returns what its
-- virtual modules and platforms recorded: {events = {...}, facts = {...}, error = msg|nil}.
-- Every Modem the script opens on the virtual module is watched; several are merged.
function check.run_script(script, speed)
  local chunk, err = loadfile(script)
  if not chunk then return {events = {}, facts = {}, error = err} end
  local bc260y = require("bc260y")
  local sims, answers = {}, {}
  local real_open = bc260y.open
  bc260y.open = function(spec, opts)
    if type(spec) == "table" and opts == nil then spec, opts = nil, spec end
    -- The module's answers are watched on the wire (its +CME ERROR codes), next to any
    -- trace of the script's own.
    opts = opts or {}
    local sopts = {}
    for k, v in pairs(opts.sim or {}) do sopts[k] = v end
    local own = sopts.trace
    local pending = ""
    sopts.trace = function(dir, bytes)
      if dir == "out" then
        pending = pending .. bytes
        for line in pending:gmatch("([^\r\n]*)[\r\n]") do
          local n = line:match("^%+CME ERROR: (%d+)$")
          if n then answers["cme_" .. n] = (answers["cme_" .. n] or 0) + 1 end
        end
        pending = pending:match("[^\r\n]*$")
      end
      if own then own(dir, bytes) end
    end
    local copy = {}
    for k, v in pairs(opts) do copy[k] = v end
    copy.sim = sopts
    local m, msg, code = real_open(spec, copy)
    if m and m.sim then sims[#sims + 1] = m.sim end
    return m, msg, code
  end
  bc260y.default_port, bc260y.sim_speed = "sim", speed
  local failure
  local ran, raised = pcall(bc260y.run, function()
    local ok, e = pcall(chunk)
    if not ok then failure = tostring(e) end
  end)
  if not ran then failure = failure or tostring(raised) end
  bc260y.open = real_open
  local record = {events = {}, facts = answers, error = failure}
  for _, s in ipairs(sims) do
    for _, e in ipairs(s.platform:events()) do
      if e.what == "uplink" then e.hex = s.module.hex_encode(e.data) end
      record.events[#record.events + 1] = e
    end
    for k, v in pairs(module_facts(s)) do record.facts[k] = (record.facts[k] or 0) + v end
  end
  -- Two virtual modules have two clocks: order by time, a stable sort by the log's order.
  for i, e in ipairs(record.events) do e.seq = i end
  table.sort(record.events, function(a, b)
    if a.time ~= b.time then return a.time < b.time end
    return a.seq < b.seq
  end)
  return record
end

-- "uplink con=true rai=2" for a condition: what a verdict names.
local function describe(cond)
  local fields = {}
  for k, v in pairs(cond) do
    if not RESERVED[k] then fields[#fields + 1] = ("%s=%s"):format(k, tostring(v)) end
  end
  table.sort(fields)
  local what = cond.event or cond.module
  if #fields > 0 then what = what .. " " .. table.concat(fields, " ") end
  if cond.after then what = what .. " " .. i18n.t("check.after", cond.after) end
  return what
end

-- The count (or value) a condition sees in a record.
local function observe(cond, record)
  if cond.module then return record.facts[cond.module] or 0 end
  local from = 1
  if cond.after then
    for i, e in ipairs(record.events) do
      if e.what == cond.after then from = i + 1 end
    end
  end
  local n = 0
  for i = from, #record.events do
    local e, match = record.events[i], record.events[i].what == cond.event
    for k, v in pairs(cond) do
      if match and not RESERVED[k] and e[k] ~= v then match = false end
    end
    if match then n = n + 1 end
  end
  return n
end

-- Judges one condition: ok, and the sentence that explains a failure.
local function judge_condition(cond, record)
  local seen = observe(cond, record)
  local min = cond.min or (cond.max == nil and 1 or nil)
  -- the platform counts events; the module shows a number
  local seer = cond.module and "check.module_" or "check.platform_"
  if min and seen < min then
    return false, i18n.t(seer .. "too_few", describe(cond), min, seen)
  end
  if cond.max and seen > cond.max then
    return false, i18n.t(seer .. "too_many", describe(cond), cond.max, seen)
  end
  return true
end

-- Every task's verdict: {{n =, text =, ok =, why = {sentence...}}, ...}.
function check.judge(def, record)
  local verdicts = {}
  for n, task in ipairs(def.tasks) do
    local v = {n = n, text = i18n.pick(task), ok = true, why = {}, ungraded = task.ungraded}
    for _, cond in ipairs(task.expect or {}) do
      local ok, why = judge_condition(cond, record)
      if not ok then
        v.ok = false
        v.why[#v.why + 1] = why
      end
    end
    verdicts[n] = v
  end
  return verdicts
end

-- Prints the verdicts; returns how many graded tasks passed and how many were graded.
function check.report(verdicts, record, out)
  out = out or io.stdout
  if record.error then out:write(i18n.t("check.script_error", record.error:match("^[^\n]*")), "\n") end
  local passed, graded = 0, 0
  for _, v in ipairs(verdicts) do
    if v.ungraded then
      out:write(i18n.t("check.ungraded", v.n, v.text), "\n")
    else
      graded = graded + 1
      if v.ok then passed = passed + 1 end
      out:write(i18n.t(v.ok and "check.pass" or "check.fail", v.n, v.text), "\n")
      for _, why in ipairs(v.why) do out:write("    ", why, "\n") end
    end
  end
  out:write(i18n.t("check.summary", passed, graded), "\n")
  return passed, graded
end

local USAGE = {
  en = [[
usage: bc260y check EXERCISE SCRIPT [--speed S] [--quiet]
Runs SCRIPT against a fresh virtual module and grades it task by task by what the
virtual platform saw (docs/lab/README.md, "Grading").
  EXERCISE    its number (3), name (03-con-non-rai) or task file (docs/lab/checks/*.lua)
  --speed S   run the virtual module S times faster (default 50)
  --quiet     hide the script's own output, print only the verdicts
Exit status: 0 every task passed, 1 a task failed, 2 a usage error.
]],
  zh = [[
用法: bc260y check EXERCISE SCRIPT [--speed S] [--quiet]
在一个全新的虚拟模块上运行 SCRIPT,按虚拟平台的所见逐项评判各任务
(docs/lab/README.md,"评分")。
  EXERCISE    实验编号(3)、名称(03-con-non-rai)或任务文件(docs/lab/checks/*.lua)
  --speed S   虚拟模块加速 S 倍(默认 50)
  --quiet     不显示脚本自身的输出,只打印评判结果
退出码:0 全部任务通过,1 有任务未通过,2 用法错误。
]],
}

function check.main(args)
  local positional, speed, quiet = {}, 50, false
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--help" or a == "-h" then
      io.write(i18n.pick(USAGE))
      return 0
    elseif a == "--speed" then
      speed = tonumber(args[i + 1])
      if not speed or speed <= 0 then
        io.stderr:write("bc260y: ", i18n.t("cli.speed"), "\n")
        return 2
      end
      i = i + 1
    elseif a == "--quiet" or a == "-q" then
      quiet = true
    elseif a:sub(1, 1) == "-" then
      io.stderr:write("bc260y: ", i18n.t("cli.unknown_option", "check", a, "check"), "\n")
      return 2
    else
      positional[#positional + 1] = a
    end
    i = i + 1
  end
  if #positional ~= 2 then
    io.stderr:write(i18n.pick(USAGE))
    return 2
  end
  local path, err = check.find(positional[1])
  if not path then io.stderr:write("bc260y: ", err, "\n"); return 2 end
  local def, load_err = check.load(path)
  if not def then io.stderr:write("bc260y: ", load_err, "\n"); return 2 end
  local real_print, real_write = print, io.write
  if quiet then
    _G.print, io.write = function() end, function() return io.stdout end
  end
  local record = check.run_script(positional[2], speed)
  _G.print, io.write = real_print, real_write
  local verdicts = check.judge(def, record)
  local passed, graded = check.report(verdicts, record)
  return passed == graded and 0 or 1
end

return check
