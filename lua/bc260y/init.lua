-- bc260y: the library's entry point (README.md, "The Lua API"): open() gives a Modem on
-- a serial port, a pseudo-terminal, a TCP stream or the virtual module; run/spawn/sleep/
-- now are the scheduler of bc260y.loop (run also stops in order on SIGTERM, SIGINT and
-- SIGHUP, with stop, stopping and on_stop: bc260y.shutdown); errors is the guide's
-- error-code table.
local core = require("bc260y.core")
local loop = require("bc260y.loop")
local modem = require("bc260y.modem")
local options = require("bc260y.options")
local i18n = require("bc260y.i18n")
local shutdown = require("bc260y.shutdown")

local bc260y = {
  version = core.version, -- project() in CMakeLists.txt
  errors = core.errors,
  Modem = modem.Modem,
  -- Set by `bc260y run --port P --speed S`; open() with no port uses them.
  default_port = nil,
  sim_speed = nil,
  default_trace = nil, -- `bc260y run --trace`: open() traces unless told otherwise
  -- `bc260y run` on a terminal: open() shows the waits on stderr unless told otherwise
  default_progress = nil,
}

-- run: loop.run, catching SIGTERM, SIGINT and SIGHUP meanwhile for an orderly stop
-- (bc260y.shutdown); stop, stopping and on_stop are that stop's.
bc260y.run = shutdown.run
bc260y.stop = shutdown.stop
bc260y.stopping = shutdown.stopping
bc260y.on_stop = shutdown.on_stop
bc260y.spawn = loop.spawn
bc260y.sleep = loop.sleep
bc260y.now = loop.now

-- The port open() uses when none is given: --port, then BC260Y_PORT, then "sim".
function bc260y.port_spec()
  if bc260y.default_port then return bc260y.default_port end
  local env = os.getenv("BC260Y_PORT")
  if env and env ~= "" then return env end
  return "sim"
end

-- The highest rate a port takes (termios names 50..4000000: core/port.h); the binding
-- raises past it, as for any bad argument of the caller's.
local BAUD_MAX = 4000000

-- The baud rate open() uses when opts.baud is not given: BC260Y_BAUD (a service sets it,
-- e.g. from OpenWrt's /etc/config/bc260y), else nil: the port's default, 9600. A value
-- from the environment is checked here, so that it is an error open() returns and never
-- one it raises: under procd a raise is a crash at every respawn.
function bc260y.default_baud()
  local env = os.getenv("BC260Y_BAUD")
  if env == nil or env == "" then return nil end
  local baud = math.tointeger(tonumber(env))
  if not baud or baud <= 0 or baud > BAUD_MAX then return nil, i18n.t("lib.baud_env", env) end
  return baud
end

local function open_sim(opts)
  local ok, sim = pcall(require, "bc260y.sim")
  if not ok then
    return nil, i18n.t("lib.no_sim", tostring(sim):match("^[^\n]*")), "io"
  end
  local sopts = {}
  for k, v in pairs(opts.sim or {}) do sopts[k] = v end
  if sopts.speed == nil then sopts.speed = opts.speed or bc260y.sim_speed end
  local created, s = pcall(sim.new, sopts)
  if not created then return nil, i18n.t("lib.sim_failed", tostring(s)), "io" end
  if not s then return nil, i18n.t("lib.sim_failed_plain"), "io" end
  return s
end

-- bc260y.open([spec], [opts]) -> Modem | nil, message, code
--   spec: "/dev/ttyUSB0", "/dev/pts/3", "tcp://host:port", "sim" (default: see port_spec)
--   opts: trace (true | function(dir, line)), wake (function(modem), runs before AT
--     retries when the module may be asleep), inbox (downlinks kept, 64), baud,
--     speed and sim (options of the virtual module), engine (core.engine options),
--     poll, connect_timeout, con_timeout, close_timeout, sleep_guard, wake_tries,
--     write_timeout (seconds), progress (function(ev) told of each long wait, true:
--     a display on stderr, false: none).
function bc260y.open(spec, opts)
  if type(spec) == "table" and opts == nil then spec, opts = nil, spec end
  if spec ~= nil and (type(spec) ~= "string" or spec == "") then
    error("bc260y.open: port must be a non-empty string", 2)
  end
  opts = options.check_options(opts)
  -- A Modem dropped without close() gives its port back at the loop's next step: now,
  -- so that the same port can be opened again at once.
  loop.run_releases()
  -- The virtual module's own options, nested: a typo there raises here too, before
  -- anything is opened (where the virtual module is installed; open_sim says when not).
  if opts.sim then
    local has_sim, sim = pcall(require, "bc260y.sim")
    if has_sim then sim.check_options(opts.sim, "bc260y.open: option 'sim'", 2) end
  end
  if opts.trace == nil and bc260y.default_trace then opts.trace = true end
  if opts.progress == nil then opts.progress = bc260y.default_progress end
  -- progress = true: a display of the waits on stderr (a line redrawn on a terminal)
  if opts.progress == true then
    opts.progress = require("bc260y.progress").new{out = io.stderr}:callback()
  end
  spec = spec or bc260y.port_spec()
  local baud, baud_err = opts.baud, nil
  if baud == nil then baud, baud_err = bc260y.default_baud() end
  if baud_err then return nil, baud_err, "io" end
  local sim, port, msg, code
  if spec == "sim" then
    sim, msg, code = open_sim(opts)
    if not sim then return nil, msg, code end
    port, msg, code = core.open_port(sim.path, baud, opts.exclusive ~= false)
    if not port then
      pcall(sim.close, sim)
      return nil, msg, code
    end
  else
    port, msg, code = core.open_port(spec, baud, opts.exclusive ~= false)
    if not port then return nil, msg, code or "io" end
  end
  if not sim then return modem.new(port, opts) end
  -- open("sim") owns the virtual module: it stops when the Modem closes.
  return modem.new(port, opts, {
    time_scale = function() return sim.clock.speed end,
    on_close = function() sim:close() end,
    sim = sim,
  })
end

return bc260y
