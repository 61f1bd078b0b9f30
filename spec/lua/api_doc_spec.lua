-- api_doc_spec: docs/api.md stays the complete reference: every public Modem method,
-- open() option, event, +CME ERROR code, module function and CLI command of the code is
-- named in it (a new one without documentation fails here).
local lu = require("luaunit")
local bc260y = require("bc260y")
local modem = require("bc260y.modem")
local dfota = require("bc260y.dfota")
local loop = require("bc260y.loop")

local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local DOC = slurp(SOURCE .. "/docs/api.md")

local function public_names(t)
  local names = {}
  for k, v in pairs(t) do
    if type(k) == "string" and not k:match("^_") and type(v) == "function" then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

-- Asserts that the page names `text`. (assertStrContains would print the whole page on a
-- failure, which takes LuaUnit seconds to format and valgrind minutes.)
local function assert_documented(text, what)
  lu.assertTrue(DOC:find(text, 1, true) ~= nil, (what or text))
end

TestApiDoc = {}

function TestApiDoc:test_every_modem_method()
  for _, name in ipairs(public_names(modem.Modem)) do
    lu.assertTrue((DOC:find("m:" .. name .. "(", 1, true) or DOC:find("m:" .. name .. "{", 1, true)) ~= nil,
      "m:" .. name)
  end
end

function TestApiDoc:test_every_module_function()
  for prefix, t in pairs({["bc260y."] = bc260y, ["dfota."] = dfota, ["loop."] = loop}) do
    for _, name in ipairs(public_names(t)) do
      assert_documented(prefix .. name, prefix .. name)
    end
  end
end

function TestApiDoc:test_every_open_option()
  local src = slurp(SOURCE .. "/lua/bc260y/options.lua")
  local block = src:match("local OPTION_TYPES = (%b{})")
  local n = 0
  for name in block:gmatch("([%w_]+) = {") do
    n = n + 1
    assert_documented("| `" .. name .. "` |", "option " .. name)
  end
  lu.assertTrue(n >= 10)
  lu.assertErrorMsgContains("unknown option", bc260y.open, "sim", {no_such_option = 1})
end

function TestApiDoc:test_every_event()
  for name in pairs(require("bc260y.modem.events").EVENTS) do
    assert_documented("| `" .. name .. "` |", "event " .. name)
  end
end

function TestApiDoc:test_every_error_code()
  for code, e in pairs(bc260y.errors) do
    assert_documented(("| %d | %s | %s | %s |"):format(code, e.name, e.en, e.zh))
  end
  for _, code in ipairs({"timeout", "error", "closed", "io", "rejected", "busy", "state", "reboot"}) do
    assert_documented("| `\"" .. code .. "\"` |")
  end
end

function TestApiDoc:test_every_cli_command()
  for _, cmd in ipairs({"run", "console", "sim", "ports", "demo"}) do
    lu.assertTrue(DOC:find("\n| `" .. cmd .. "[ `]") ~= nil, "bc260y " .. cmd .. " is not in docs/api.md")
  end
end

os.exit(lu.LuaUnit.run(), true)
