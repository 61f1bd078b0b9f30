-- bc260y.modem.everyday: typed calls for the everyday questions (part of the Modem class,
-- mixed in by bc260y.modem), one call each for a script: who the module is
-- (m:identity), how well it hears the cell (m:signal), where and how it is registered
-- (m:network) and what time the network says it is (m:clock). The 3GPP TS 27.007
-- commands any tutorial types, their values converted as 27.007 defines them.
local i18n = require("bc260y.i18n")
local timers = require("bc260y.timers3gpp")
local fields = require("bc260y.modem.power").fields

local M = {}
local Everyday = {} -- methods of the Modem class (bc260y.modem mixes them in)
M.methods = Everyday

-- A query's answer; false when the module refused it (ERROR, +CME ERROR: the value is
-- not to be had, a card missing); nil, message, code when the call must fail (no answer,
-- a closed port, the module busy...).
local function ask(self, cmd)
  local r, msg, code = self:_command(cmd)
  if r then return r end
  if code == "error" or code == "cme" then return false end
  return nil, msg, code
end

-- The first capture of pattern (then of pattern2) in the answer's lines, or nil.
local function first_match(r, pattern, pattern2)
  for _, p in ipairs({pattern, pattern2}) do
    for _, line in ipairs(r.lines) do
      local v = line:match(p)
      if v then return v end
    end
  end
  return nil
end

-- The fields of the answer's line with this prefix ("+CSQ"), or nil.
local function fields_of(r, prefix)
  for _, line in ipairs(r.lines) do
    if line:sub(1, #prefix + 1) == prefix .. ":" then return fields(line) end
  end
  return nil
end

-- key, command, the answer line's pattern, and the form some firmware prints instead
local IDENTITY = {
  {"imei", "AT+CGSN=1", "^%+CGSN:%s*(%d+)%s*$"},
  {"imsi", "AT+CIMI", "^(%d+)%s*$"},
  {"iccid", "AT+QCCID", "^%+QCCID:%s*(%w+)%s*$", "^(%d%w+)%s*$"},
  {"revision", "AT+CGMR", "^Revision:%s*(%S+)", "^(%S+)%s*$"},
}

-- m:identity() -> {imei, imsi, iccid, revision}; a value the module refuses to give (no
-- SIM card: no IMSI, no ICCID) is nil.
function Everyday:identity()
  local out = {}
  for _, q in ipairs(IDENTITY) do
    local r, msg, code = ask(self, q[2])
    if r == nil then return nil, msg, code end
    out[q[1]] = r and first_match(r, q[3], q[4]) or nil
  end
  return out
end

-- A 27.007 index, nil when it is the "not known" value (99, 255) or missing.
local function known(s, unknown)
  local n = math.tointeger(tonumber(s))
  if n == nil or n == unknown then return nil end
  return n
end

-- m:signal() -> {rssi_dbm, ber, rsrp_dbm, rsrq_db}: AT+CSQ <rssi> 0..31 is -113 + 2n dBm
-- (0: -113 or less, 31: -51 or more), <ber> the RXQUAL class 0..7; AT+CESQ <rsrp> 0..97
-- is n - 141 dBm (0: below -140), <rsrq> 0..34 is -20 + n/2 dB (0: below -19.5). Values
-- the module reports as not known (99, 255) are nil.
function Everyday:signal()
  local out = {}
  local r, msg, code = self:_command("AT+CSQ")
  if not r then return nil, msg, code end
  local csq = fields_of(r, "+CSQ") or {}
  local rssi = known(csq[1], 99)
  out.rssi_dbm = rssi and -113 + 2 * rssi
  out.ber = known(csq[2], 99)
  r, msg, code = self:_command("AT+CESQ")
  if not r then return nil, msg, code end
  local cesq = fields_of(r, "+CESQ") or {}
  local rsrq, rsrp = known(cesq[5], 255), known(cesq[6], 255)
  out.rsrq_db = rsrq and (rsrq % 2 == 0 and -20 + rsrq // 2 or -20 + rsrq / 2)
  out.rsrp_dbm = rsrp and rsrp - 141
  return out
end

local function nonempty(s) return s ~= "" and s or nil end

-- m:network() -> {stat, tac, cell, act, active_time, periodic_tau, edrx}: AT+CEREG? at
-- report level 4 (set for the read and put back, bc260y.modem.power), the timers the
-- network granted in seconds (false: deactivated), and from AT+CEDRXRDP the eDRX cycle
-- the network granted (false: none). Location and timers only while the module has them.
function Everyday:network()
  local d4, f, code = self:_cereg_at_4()
  if d4 == nil then return nil, f, code end
  if not d4 then return nil, i18n.t("lib.no_line", "AT+CEREG?", "+CEREG"), "error" end
  -- <n>,<stat>[,<tac>,<ci>,<AcT>[,<cause_type>,<reject_cause>[,<Active-Time>,<Periodic-TAU>]]]
  local out = {stat = d4.value, tac = nonempty(f[3] or ""), cell = nonempty(f[4] or ""),
               act = known(f[5])}
  if nonempty(f[8] or "") then out.active_time = timers.decode_active(f[8]) end
  if nonempty(f[9] or "") then out.periodic_tau = timers.decode_tau(f[9]) end
  local r, msg
  r, msg, code = ask(self, "AT+CEDRXRDP")
  if r == nil then return nil, msg, code end
  -- <AcT-type>[,<requested>[,<NW-provided>[,<paging time window>]]]: AcT 0, not used
  local e = r and fields_of(r, "+CEDRXRDP")
  if e and e[1] == "0" then
    out.edrx = false
  elseif e then
    out.edrx = timers.decode_edrx(e[3])
  end
  return out
end

-- Days from 1970-01-01 to the date (proleptic Gregorian calendar), with no time zone in
-- between (os.time would read the date as local time).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m > 2 and m - 3 or m + 9) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end

-- m:clock() -> {utc =, zone =}: AT+CCLK? "yy/MM/dd,hh:mm:ss±zz" is local time with the
-- zone in quarter hours (27.007); utc is epoch seconds, zone the offset in seconds.
function Everyday:clock()
  local r, msg, code = self:_command("AT+CCLK?")
  if not r then return nil, msg, code end
  for _, line in ipairs(r.lines) do
    local y, mo, d, h, mi, s, sign, q =
      line:match('^%+CCLK:%s*"?(%d+)/(%d+)/(%d+),(%d+):(%d+):(%d+)([%+%-])(%d+)"?%s*$')
    if y then
      y = tonumber(y)
      if y < 100 then y = y + 2000 end
      local zone = (sign == "-" and -900 or 900) * tonumber(q)
      local t = days_from_civil(y, tonumber(mo), tonumber(d)) * 86400 + tonumber(h) * 3600
        + tonumber(mi) * 60 + tonumber(s)
      return {utc = t - zone, zone = zone}
    end
  end
  return nil, i18n.t("lib.no_line", "AT+CCLK?", "+CCLK"), "error"
end

return M
