-- sim_rig: the virtual module driven directly, with no pty, on a virtual clock, for the
-- specs of its behaviour (sim_module_spec, sim_3gpp_spec): rig(opts) boots one and gives
-- its wire (send, lines, raw, cmd); ready() also turns echo off; registered() connects it
-- to the platform.
local lu = require("luaunit")
local clock = require("bc260y.sim.clock")
local platform = require("bc260y.sim.platform")
local module = require("bc260y.sim.module")

local sim_rig = {}

-- A booted module with a wire: send(line) and lines(dt) -> everything said meanwhile.
function sim_rig.rig(opts)
  opts = opts or {}
  local c = clock.virtual()
  local p = platform.new{clock = c}
  local out = {}
  local mopts = {clock = c, platform = p, out = function(s) out[#out + 1] = s end}
  for k, v in pairs(opts) do mopts[k] = v end
  local m = module.new(mopts)
  if opts.register ~= false then p:register_device{imei = m.imei, psk = opts.psk} end
  local r = {c = c, p = p, m = m}
  local partial = ""
  function r.lines(dt)
    c:advance(dt or 0)
    local s = partial .. table.concat(out)
    out = {}
    local t = {}
    local last = 1
    for line, stop in s:gmatch("([^\r\n]*)[\r\n]()") do
      if line ~= "" then t[#t + 1] = line end
      last = stop
    end
    partial = s:sub(last)
    return t
  end
  function r.raw(dt)
    c:advance(dt or 0)
    local s = table.concat(out)
    out = {}
    return s
  end
  function r.send(line) m:input(line .. "\r") end
  -- A command and its whole answer (echo included when on), after dt module seconds.
  function r.cmd(line, dt)
    r.send(line)
    return r.lines(dt or 0.1)
  end
  m:power_on()
  if opts.boot ~= false then r.lines(3) end
  return r
end

function sim_rig.ready(opts)
  local r = sim_rig.rig(opts)
  r.cmd("ATE0")
  return r
end

function sim_rig.registered(opts)
  local r = sim_rig.ready(opts)
  lu.assertEquals(r.cmd('AT+NCDPOPEN="221.229.214.202",5683', 3),
                  {"OK", "+QLWEVTIND: 0", "+QLWEVTIND: 3"})
  return r
end

return sim_rig
