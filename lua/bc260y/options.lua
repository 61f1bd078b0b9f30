-- bc260y.options: the checks of bc260y.open()'s options (unknown keys and wrong types
-- raise, defaults filled in) and the small argument checks the Modem's calls share.
local M = {}

local DEFAULTS = {
  inbox = 64,             -- downlinks kept in direct mode while nobody reads them
  poll = 1,               -- seconds between AT+NMGR polls (buffer mode, while the module is
                          -- awake anyway) and NMSTATUS polls (within connect and close)
  poll_asleep = false,    -- seconds between AT+NMGR polls that may wake a sleeping module
                          -- (buffer mode with handlers); false: none
  -- The guide's longest registration without DTLS is 126 s, timed by the module from when
  -- it reads AT+NCDPOPEN; its verdict (+QLWEVTIND: 1) comes after that. Waiting 126 s from
  -- before the write gave up just before it: 10 s more, so the module's own verdict (and
  -- its remedy) is what the user sees.
  connect_timeout = 136,
  psk_connect_timeout = 300, -- with DTLS the guide gives no limit: a longer default
  con_timeout = 100,      -- CoAP CON: 2 s initial, 4 retransmissions, doubling (~93 s)
  close_timeout = 124,    -- the guide's deregistration limit
  sleep_guard = 5,        -- seconds of silence after which a sleep-enabled module may sleep
  wake_tries = 5,         -- AT probes to wake a module that may be asleep
  write_timeout = 10,     -- a port that accepts no byte this long is dead
}

local OPTION_TYPES = {
  trace = {"boolean", "function"}, wake = {"function"}, inbox = {"integer"},
  baud = {"integer"}, speed = {"number"}, sim = {"table"}, engine = {"table"},
  poll = {"number"}, poll_asleep = {"number"}, connect_timeout = {"number"}, psk_connect_timeout = {"number"},
  con_timeout = {"number"},
  close_timeout = {"number"}, sleep_guard = {"number"}, wake_tries = {"integer"},
  write_timeout = {"number"}, exclusive = {"boolean"}, progress = {"boolean", "function"},
}

-- The engine's options (core.engine, lua/core_engine.c's engine_options; decode is the
-- Modem's own): checked here so that a typo raises at open()'s caller, before any port
-- is opened. spec/lua/error_shape_spec.lua holds the two lists together.
M.ENGINE_OPTIONS = {line_max = "integer", answer_max = "integer", queue_max = "integer",
  cmd_max = "integer", event_max = "integer", first_byte = "number", total = "number",
  unresponsive_after = "integer"}

local function type_of(v)
  if math.type(v) == "integer" then return "integer" end
  return type(v)
end

-- Checks open()'s options: unknown keys and wrong types raise (a typo must not be
-- silently ignored). Returns a table with the defaults filled in.
function M.check_options(opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then error("bc260y.open: options must be a table", 3) end
  local out = {}
  for k, v in pairs(opts) do
    local types = OPTION_TYPES[k]
    if not types then error(("bc260y.open: unknown option '%s'"):format(tostring(k)), 3) end
    local ok, t = false, type_of(v)
    for _, want in ipairs(types) do
      if t == want or (want == "number" and t == "integer") then ok = true end
    end
    if not ok then
      local wanted = table.concat(types, " or ")
      error(("bc260y.open: option '%s' must be %s %s (got %s)"):format(k,
        wanted:find("^[aeiou]") and "an" or "a", wanted, t), 3)
    end
    if (t == "number" or t == "integer") and not (v > 0) then
      error(("bc260y.open: option '%s' must be > 0"):format(k), 3)
    end
    out[k] = v
  end
  for k, v in pairs(DEFAULTS) do
    if out[k] == nil then out[k] = v end
  end
  -- Every command of the module answers within 5 s (the guide): the engine's own 2 s
  -- first-byte default would give up on a slow but normal answer, and a retried
  -- AT+NMGS would then send its uplink twice.
  local engine = {first_byte = 5, total = 5}
  for k, v in pairs(out.engine or {}) do
    local want = M.ENGINE_OPTIONS[k]
    if not want then error(("bc260y.open: unknown engine option '%s'"):format(tostring(k)), 3) end
    if type_of(v) ~= want and not (want == "number" and type_of(v) == "integer") then
      error(("bc260y.open: engine option '%s' must be %s %s (got %s)"):format(k,
        want == "integer" and "an" or "a", want, type_of(v)), 3)
    end
    engine[k] = v
  end
  -- Answer lines come decoded with the response, by the same decoder as URCs: the Modem
  -- never decodes a line a second time.
  engine.decode = true
  out.engine = engine
  return out
end

-- A call's options table: nil is {}, anything but a table raises at the caller's level,
-- and so does a key not in `known` (a list of the call's option names): a typo must not
-- be silently ignored, as in open().
function M.check_table(v, what, level, known)
  if v == nil then return {} end
  if type(v) ~= "table" then error(what .. ": options must be a table", level + 1) end
  for k in pairs(v) do
    local found = false
    for _, name in ipairs(known) do
      if k == name then found = true break end
    end
    if not found then error(("%s: unknown option '%s'"):format(what, tostring(k)), level + 1) end
  end
  return v
end

-- What is wrong with a platform host (nil: nothing): it goes between quotes in
-- AT+NCDPOPEN, so CR, LF and quotes could end the command.
function M.host_problem(host)
  if type(host) ~= "string" or host == "" then return "must be a non-empty string" end
  if host:find('[\r\n"]') then return "must not contain CR, LF or quotes" end
  return nil
end

-- A platform port: nil, or an integer 0..65535.
function M.check_port(v, what, level)
  if v ~= nil and (math.type(v) ~= "integer" or v < 0 or v > 65535) then
    error(what .. ": port must be an integer 0..65535", level == 0 and 0 or level + 1) -- 0: no position
  end
  return v
end

-- The range of a timeout: the engine counts whole milliseconds in 32 bits, and 0 ms
-- would mean its default, so a shorter or longer timeout raises instead of becoming
-- something the caller did not ask for.
M.TIMEOUT_MIN, M.TIMEOUT_MAX = 0.001, 4294967

-- A timeout option: nil gives default; anything but seconds in that range raises.
function M.check_timeout(v, what, default, level)
  if v == nil then return default end
  if type(v) ~= "number" or not (v >= M.TIMEOUT_MIN and v <= M.TIMEOUT_MAX) then
    error(("%s: timeout must be a number of seconds from %g to %d (got %s)"):format(what,
      M.TIMEOUT_MIN, M.TIMEOUT_MAX, tostring(v)), level + 1)
  end
  return v
end

return M
