-- bc260y.modem.power: the power-saving timers as seconds (part of the Modem class, mixed in
-- by bc260y.modem): m:psm (AT+CPSMS, and the grant read back from AT+CEREG at n=4) and
-- m:edrx (AT+CEDRXS, NB-IoT). The bits are bc260y.timers3gpp's; each call asks for the
-- smallest representable time at least the one given and says what it got.
local i18n = require("bc260y.i18n")
local options = require("bc260y.options")
local timers = require("bc260y.timers3gpp")

local check_table = options.check_table

local M = {}
local Power = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Power

-- A 27.007 answer line's fields after its prefix, quotes removed ("" for an empty one).
-- (bc260y.modem.everyday reads its lines with it too.)
local function fields(line)
  local out = {}
  for f in ((line:match("^%+%u+:%s*(.*)$") or "") .. ","):gmatch('("?[^,"]*"?),') do
    out[#out + 1] = f:gsub('"', "")
  end
  return out
end

local function check_seconds(v, call, key, max)
  if type(v) ~= "number" or v ~= v or v < 0 or v > max then
    error(("%s: %s must be seconds, 0..%s"):format(call, key, max), 3)
  end
end

-- AT+CEREG? at report level 4, the level that shows the PSM timers the network granted:
-- set for the read and put back after it when it was lower (n 5 shows them too). ->
-- the answer's decoded line (false when it has none) and its fields | nil, message, code
function Power:_cereg_at_4()
  local d, msg, code = self:_query("AT+CEREG?", "cereg_answer")
  if not d then return nil, msg, code end
  local n, r = d.n, nil
  if n < 4 then
    r, msg, code = self:_command("AT+CEREG=4")
    if not r then return nil, msg, code end
  end
  r, msg, code = self:_command("AT+CEREG?")
  if n < 4 then
    local back, bmsg, bcode = self:_command("AT+CEREG=" .. n)
    if r and not back then r, msg, code = nil, bmsg, bcode end
  end
  if not r then return nil, msg, code end
  for i, d4 in ipairs(r.decoded) do
    if d4 and d4.kind == "cereg_answer" then return d4, fields(r.lines[i]) end
  end
  return false, {}
end

-- What the network granted: {tau =, active =} in seconds (active false: PSM not granted).
function Power:_psm_granted()
  local d4, f, code = self:_cereg_at_4()
  if d4 == nil then return nil, f, code end
  if not d4 or (d4.value ~= 1 and d4.value ~= 5) or not f[9] then
    return nil, i18n.t("lib.no_psm_grant"), "state"
  end
  local active, tau = timers.decode_active(f[8]), timers.decode_tau(f[9])
  if active == nil or tau == nil then return nil, i18n.t("lib.no_line", "AT+CEREG?", "timers"), "error" end
  return {tau = tau, active = active}
end

-- m:psm{tau=, active=} requests PSM with these timers (seconds; the smallest coding at
-- least as long) and returns what the network granted, {tau =, active =}; before it is
-- registered, what was requested and pending = true. m:psm(false) turns PSM off (false);
-- m:psm() reads the grant.
function Power:psm(opts)
  if opts == nil then return self:_psm_granted() end
  if opts == false then
    local r, msg, code = self:_command("AT+CPSMS=0")
    if not r then return nil, msg, code end
    return false
  end
  opts = check_table(opts, "psm", 2, {"tau", "active"})
  check_seconds(opts.tau, "psm", "tau", 35712000)     -- 31 x 320 h
  check_seconds(opts.active, "psm", "active", 11160)  -- 31 decihours
  local tau_bits, tau = timers.encode_tau(opts.tau)
  local active_bits, active = timers.encode_active(opts.active)
  local r, msg, code = self:_command(('AT+CPSMS=1,,,"%s","%s"'):format(tau_bits, active_bits))
  if not r then return nil, msg, code end
  local granted, gmsg, gcode = self:_psm_granted()
  if granted then return granted end
  if gcode ~= "state" then return nil, gmsg, gcode end
  return {tau = tau, active = active, pending = true}
end

-- m:edrx{cycle=} asks for eDRX (AT+CEDRXS=1,5: NB-IoT) with the shortest cycle at least
-- `cycle` seconds and returns {cycle =} as set; m:edrx(false) turns it off (false);
-- m:edrx() reads the setting ({cycle =} or false).
function Power:edrx(opts)
  if opts == nil then
    local r, msg, code = self:_command("AT+CEDRXS?", {expect = {"+CEDRXS"}})
    if not r then return nil, msg, code end
    for _, line in ipairs(r.lines) do
      local f = fields(line)
      if f[1] == "5" and f[2] then return {cycle = timers.decode_edrx(f[2])} end
    end
    return false
  end
  if opts == false then
    local r, msg, code = self:_command("AT+CEDRXS=0")
    if not r then return nil, msg, code end
    return false
  end
  opts = check_table(opts, "edrx", 2, {"cycle"})
  check_seconds(opts.cycle, "edrx", "cycle", 10485.76)
  local bits, cycle = timers.encode_edrx(opts.cycle)
  local r, msg, code = self:_command(('AT+CEDRXS=1,5,"%s"'):format(bits))
  if not r then return nil, msg, code end
  return {cycle = cycle}
end

M.fields = fields

return M
