-- bc260y.timers3gpp: the power-saving timers of 3GPP TS 24.008 as seconds, both ways. Pure
-- functions (no module, no I/O): the Modem's psm/edrx calls (bc260y.modem.power) and the
-- virtual module (bc260y.sim) encode and decode with them.
--
-- * GPRS Timer 3 (24.008 10.5.7.4a), the periodic TAU (T3412 extended): one octet as 8
--   bits, bits 8-6 the unit, bits 5-1 the value 0..31. Units: 000 10 min, 001 1 h, 010
--   10 h, 011 2 s, 100 30 s, 101 1 min, 110 320 h, 111 deactivated.
-- * GPRS Timer 2 (24.008 10.5.7.4), the Active Time (T3324): units 000 2 s, 001 1 min,
--   010 decihours (6 min), 111 deactivated (24.008 reads the other units as 1 min).
-- * The eDRX value (24.008 10.5.5.32) for NB-S1 mode (27.007 <AcT-type> 5): 4 bits; the
--   cycles below, any other value read as 0010 (20.48 s).
-- AT+CPSMS, AT+CEREG (n=4) and AT+CEDRXS write them as strings of "0"/"1" (27.007).
-- encode(seconds) picks the smallest representable time at least the one asked for and
-- returns its bits and that time; decode(bits) gives seconds, or false for deactivated.
local M = {}

local TIMER3_UNITS = {[0] = 600, 3600, 36000, 2, 30, 60, 1152000}
local TIMER2_UNITS = {[0] = 2, 60, 360}
-- Their codes, finest unit first: of equal times the finest unit's coding is chosen.
local TIMER3_ORDER, TIMER2_ORDER = {3, 4, 5, 0, 1, 2, 6}, {0, 1, 2}

M.DEACTIVATED = "11100000"

-- "0101" -> 5; nil when s is not `width` binary digits.
local function bits_value(s, width)
  if type(s) ~= "string" or #s ~= width or s:find("[^01]") then return nil end
  return tonumber(s, 2)
end

local function bits_string(n, width)
  local out = {}
  for i = width - 1, 0, -1 do out[#out + 1] = (n >> i) & 1 end
  return table.concat(out)
end

-- The smallest unit x value (0..31) >= seconds among units: bits, seconds. nil when
-- even the largest is too small.
local function encode_timer(units, order, seconds)
  local best_bits, best
  for _, code in ipairs(order) do
    local unit = units[code]
    local v = math.max(math.ceil(seconds / unit), 0)
    if v <= 31 and (not best or v * unit < best) then
      best, best_bits = v * unit, bits_string((code << 5) | v, 8)
    end
  end
  return best_bits, best
end

local function decode_timer(units, bits, fallback_unit)
  local n = bits_value(bits, 8)
  if not n then return nil end
  local code, v = n >> 5, n & 31
  if code == 7 then return false end
  return v * (units[code] or fallback_unit)
end

-- The periodic TAU (T3412 extended): seconds -> bits, granted seconds (nil: too long).
function M.encode_tau(seconds) return encode_timer(TIMER3_UNITS, TIMER3_ORDER, seconds) end
-- The Active Time (T3324): seconds -> bits, granted seconds (nil: too long).
function M.encode_active(seconds) return encode_timer(TIMER2_UNITS, TIMER2_ORDER, seconds) end
-- bits -> seconds, false (deactivated) or nil (not 8 binary digits). A T3412 unit 24.008
-- does not define is read as 1 h, a T3324 one as 1 min, as 24.008 says.
function M.decode_tau(bits) return decode_timer(TIMER3_UNITS, bits, 3600) end
function M.decode_active(bits) return decode_timer(TIMER2_UNITS, bits, 60) end

-- The NB-S1 eDRX cycles in seconds, by their 4-bit value.
local EDRX_NBIOT = {[2] = 20.48, [3] = 40.96, [5] = 81.92, [9] = 163.84, [10] = 327.68,
  [11] = 655.36, [12] = 1310.72, [13] = 2621.44, [14] = 5242.88, [15] = 10485.76}
M.EDRX_NBIOT = EDRX_NBIOT

-- seconds -> the shortest NB-IoT eDRX cycle at least that long: bits, seconds (nil: more
-- than 10485.76 s).
function M.encode_edrx(seconds)
  local best_bits, best
  for n, cycle in pairs(EDRX_NBIOT) do
    if cycle >= seconds and (not best or cycle < best) then best, best_bits = cycle, bits_string(n, 4) end
  end
  return best_bits, best
end

-- "0101" -> 81.92 (nil: not 4 binary digits).
function M.decode_edrx(bits)
  local n = bits_value(bits, 4)
  if not n then return nil end
  return EDRX_NBIOT[n] or EDRX_NBIOT[2]
end

return M
