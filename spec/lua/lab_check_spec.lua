-- lab_check_spec: `bc260y check` (lua/bc260y/sim/check.lua) grades a broken copy of every
-- lab exercise's reference solution (its deregistration, RAI, a read or a step taken out)
-- as failing, with the verdict in the student's language. That the reference solutions
-- pass, in both languages, is lab_spec's (it runs them under `bc260y check`).
local lu = require("luaunit")

local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."
local BINARY = os.getenv("BC260Y_BINARY_DIR") or "build"
local LAB = SOURCE .. "/docs/lab"

-- How each solution is broken: a Lua pattern of its text and what replaces it. Every
-- exercise must have one, so a new exercise cannot go ungraded by this spec.
local BREAK = {
  ["01-first-uplink"] = {"assert%(m:close%(%)%)", "-- no close"},
  ["02-receive-modes"] = {"local data = m:receive{timeout = 1}", "local data = nil"},
  ["03-con-non-rai"] = {"rai = 1}", "rai = 0}"},
  ["04-deep-sleep"] = {'assert%(m:sleep_mode%("off"%)%)', "-- deep sleep left on"},
  ["05-error-codes"] = {'"AT%+NMGS=2,010",', '"AT+NMGS=2,01",'},
  ["06-firmware-update"] = {'"download_4", "end_255"', '"end_255"'},
  ["07-faults"] = {"assert%(m:init%(%)%)%s+%-%- the module", "do end -- the module"},
  ["08-lifetime"] = {"assert%(m:set_lifetime%(300%)%)", "-- no lifetime asked"},
  ["09-buffer-limit"] = {'"indicate"', '"direct"'},
  ["10-dfota-stages"] = {"assert%(m:connect%(HOST%)%) %-%- after the reboot", "-- not registered again"},
  ["11-battery"] = {"one_uplink%(1%)", "one_uplink(0)"},
}

local function solutions()
  local p = assert(io.popen("ls " .. LAB .. "/solutions/*.lua"))
  local list = {}
  for path in p:lines() do list[#list + 1] = path:match("([^/]+)%.lua$") end
  p:close()
  return list
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function check(lang, exercise, script)
  local cmd = ("cd %s && BC260Y_LANG=%s %s/bin/bc260y check %s %s --quiet 2>&1; echo \"status=$?\"")
    :format(SOURCE, lang, BINARY, exercise, script)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  local status = tonumber(out:match("status=(%d+)\n$"))
  return out:gsub("status=%d+\n$", ""), status
end

TestLabCheck = {}

function TestLabCheck:test_every_exercise_has_a_task_file_and_a_way_to_break_it()
  for _, name in ipairs(solutions()) do
    lu.assertNotNil(io.open(LAB .. "/checks/" .. name .. ".lua"), "docs/lab/checks/" .. name .. ".lua")
    lu.assertNotNil(BREAK[name], "no broken variant of " .. name .. " in this spec")
  end
end

function TestLabCheck:test_unknown_exercise_is_a_usage_error()
  local out, status = check("en", "99", "docs/lab/solutions/01-first-uplink.lua")
  lu.assertEquals(status, 2)
  lu.assertStrContains(out, "no lab exercise '99'")
end

function TestLabCheck:test_a_script_that_raises_is_still_graded()
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write('error("boom")\n')
  f:close()
  local out, status = check("zh", "1", script)
  os.remove(script)
  lu.assertEquals(status, 1)
  lu.assertStrContains(out, "脚本因错误中止")
  lu.assertStrContains(out, "任务 2 未通过:注册到 CTWing AEP")
  lu.assertStrContains(out, "0/3 个任务通过")
end

for _, name in ipairs(solutions()) do
  local id = name:gsub("%-", "_")
  TestLabCheck["test_" .. id .. "_broken_fails_zh"] = function()
    local rule = BREAK[name]
    lu.assertNotNil(rule, "no broken variant of " .. name)
    local text = slurp(LAB .. "/solutions/" .. name .. ".lua")
    local broken, n = text:gsub(rule[1], rule[2])
    lu.assertTrue(n > 0, "the pattern no longer matches " .. name)
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(broken)
    f:close()
    local out, status = check("zh", name, script)
    os.remove(script)
    lu.assertEquals(status, 1, out)
    lu.assertStrContains(out, "未通过")
  end
end

os.exit(lu.LuaUnit.run(), true)
