-- lab_figures_spec: the lab's pictures (docs/lab/figures/*.svg) are what
-- bc260y.sim.lab_figures draws from the virtual module today (`make docs` draws them
-- again), and they show what the lab teaches: the registration's failures, PSM left by the
-- pin and by the TAU timer, and RAI 1 releasing the radio before RAI 2 before RAI 0.
local lu = require("luaunit")
local figures = require("bc260y.sim.lab_figures")

local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

TestLabFigures = {}

function TestLabFigures:test_the_committed_figures_are_current()
  for name, draw in pairs(figures.FIGURES) do
    for _, lang in ipairs({"en", "zh"}) do
      local path = ("%s/docs/lab/figures/%s.%s.svg"):format(SOURCE, name, lang)
      lu.assertEquals(slurp(path), draw(lang), path .. " is stale: run make docs")
    end
  end
end

local function has_move(moves, from, to, why)
  for _, mv in ipairs(moves) do
    if mv[1] == from and mv[2] == to and (why == nil or mv[3] == why) then return true end
  end
  return false
end

function TestLabFigures:test_registration_paths()
  local moves = figures.registration_moves()
  lu.assertTrue(has_move(moves, "UNINITIALISED", "REGISTERING", "AT+NCDPOPEN"))
  lu.assertTrue(has_move(moves, "REGISTERING", "REGISTERED", "+QLWEVTIND: 0"))
  lu.assertTrue(has_move(moves, "REGISTERED", "REGISTERED_AND_OBSERVED", "+QLWEVTIND: 3"))
  lu.assertTrue(has_move(moves, "REGISTERING", "REJECTED_BY_SERVER", "+QLWEVTIND: 1"))
  lu.assertTrue(has_move(moves, "REGISTERING", "TIMEOUT", "+QLWEVTIND: 1"))
  lu.assertTrue(has_move(moves, "REGISTERED_AND_OBSERVED", "DEREGISTERED", "AT+NCDPCLOSE"))
end

function TestLabFigures:test_power_paths()
  local moves = figures.power_moves()
  lu.assertTrue(has_move(moves, "connected", "idle", "+CSCON:0"))
  lu.assertTrue(has_move(moves, "idle", "psm", "ENTER DEEPSLEEP"))
  lu.assertTrue(has_move(moves, "psm", "booting", "PSM_EINT"))
  lu.assertTrue(has_move(moves, "psm", "booting", "TAU"))
end

-- When each RAI's uplink left RRC connected.
function TestLabFigures:test_rai_order()
  local released = {}
  for rai, line in pairs(figures.rai_timelines(40)) do
    for i, seg in ipairs(line) do
      if seg.state == "connected" and line[i + 1] then released[rai] = line[i + 1].time end
    end
  end
  lu.assertTrue(released[1] < released[2] and released[2] < released[0],
    ("released at %s / %s / %s s"):format(released[0], released[1], released[2]))
end

os.exit(lu.LuaUnit.run(), true)
