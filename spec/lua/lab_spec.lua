-- lab_spec: the lab never rots. Every solution in docs/lab/solutions runs against the
-- virtual module, in English and in Chinese, under `bc260y check`: it prints exactly the
-- "expected output" of its exercise in docs/lab/en and docs/lab/zh, and every task of the
-- exercise (docs/lab/checks) passes; every exercise exists in both languages.
local lu = require("luaunit")

local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."
local BINARY = os.getenv("BC260Y_BINARY_DIR") or "build"
local LAB = SOURCE .. "/docs/lab"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function solutions()
  local p = assert(io.popen("ls " .. LAB .. "/solutions/*.lua"))
  local list = {}
  for path in p:lines() do list[#list + 1] = path:match("([^/]+)%.lua$") end
  p:close()
  return list
end

-- The block after the "<!-- expected output -->" marker of an exercise's page.
local function expected(lang, name)
  local page = slurp(LAB .. "/" .. lang .. "/" .. name .. ".md")
  lu.assertNotNil(page, lang .. "/" .. name .. ".md is missing")
  local block = page:match("<!%-%- expected output %-%->\n```text\n(.-)```")
  lu.assertNotNil(block, lang .. "/" .. name .. ".md has no expected output")
  return block
end

-- The solution's own output, the verdicts `bc260y check` printed after it, and the status.
local function run(lang, name)
  local cmd = ("cd %s && BC260Y_LANG=%s %s/bin/bc260y check %s docs/lab/solutions/%s.lua --speed 50 2>&1; echo \"status=$?\"")
    :format(SOURCE, lang, BINARY, name, name)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  local status = tonumber(out:match("status=(%d+)\n$"))
  out = out:gsub("status=%d+\n$", "")
  -- the verdicts start at the first task's line (no solution prints one)
  local first = out:find(lang == "zh" and "\n任务 1 " or "\ntask 1 ") or error("no verdicts in:\n" .. out)
  return out:sub(1, first), out:sub(first + 1), status
end

TestLab = {}

function TestLab:test_every_exercise_in_both_languages()
  local list = solutions()
  lu.assertTrue(#list >= 11, #list .. " exercises") -- issue 25 added lifetime, buffer, DFOTA stages; 21 battery
  local index = slurp(LAB .. "/README.md")
  for _, name in ipairs(list) do
    for _, lang in ipairs({"en", "zh"}) do
      lu.assertStrContains(index, "(" .. lang .. "/" .. name .. ".md)")
      lu.assertStrContains(slurp(LAB .. "/" .. lang .. "/" .. name .. ".md"), ("solutions/%s.lua"):format(name))
    end
  end
end

-- One test per exercise and language, so a failure names the exercise.
for _, name in ipairs(solutions()) do
  for _, lang in ipairs({"en", "zh"}) do
    TestLab[("test_%s_%s"):format(name:gsub("%-", "_"), lang)] = function()
      local out, verdicts, status = run(lang, name)
      lu.assertEquals(status, 0, out .. verdicts)
      lu.assertEquals(out, expected(lang, name))
      lu.assertNotStrContains(verdicts, lang == "zh" and "未通过" or "NOT passed")
    end
  end
end

os.exit(lu.LuaUnit.run(), true)
