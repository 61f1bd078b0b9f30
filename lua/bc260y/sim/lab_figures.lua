-- bc260y.sim.lab_figures: the lab's pictures (docs/lab/figures/*.svg), drawn from the
-- virtual module's own runs, so they show what the module does and not what someone
-- remembered: the registration states (AT+NMSTATUS?) and the power states (RRC connected,
-- idle, PSM) with the line that moved the module from one to the other, and a timing
-- chart of RAI 0/1/2 after one uplink. Each run is on a virtual clock (bc260y.sim.clock:
-- no pty, no real time), so the pictures are the same every time.
--   lua5.4 -e 'require("bc260y.sim.lab_figures").write("docs/lab/figures")'   (make docs)
-- spec/lua/lab_figures_spec.lua checks the committed files are what this draws.
local clock = require("bc260y.sim.clock")
local Platform = require("bc260y.sim.platform")
local Module = require("bc260y.sim.module")
local timers = require("bc260y.timers3gpp")

local M = {}

local STEP = 0.05 -- module seconds between two looks at the module

-- The URC that names a change best, else the command that caused it.
local function cause_of(lines, command)
  for _, l in ipairs(lines) do
    if l:match("^%+QLWEVTIND") or l:match("^%+CSCON") or l:match("^%+QNBIOTEVENT") then
      return (l:gsub('^%+QNBIOTEVENT: "(.*)"$', "%1"))
    end
  end
  return command
end

local Rig = {}
-- Runs the clock for `seconds`, noting every change of registration status or power state.
function Rig.run(rig, seconds)
  local m, c = rig.module, rig.clock
  local stop = c:now() + seconds
  while c:now() < stop - 1e-9 do
    local seen = #rig.lines
    c:advance(STEP)
    local new = table.move(rig.lines, seen + 1, #rig.lines, 1, {})
    local state = rig.power[#rig.power] and rig.power[#rig.power].state
    if m.status ~= rig.status then
      rig.status_moves[#rig.status_moves + 1] = {rig.status, m.status, cause_of(new, rig.cause)}
      rig.status = m.status
    end
    if state ~= rig.state then
      if rig.state then rig.power_moves[#rig.power_moves + 1] = {rig.state, state, cause_of(new, rig.cause)} end
      rig.state = state
    end
  end
end
-- Sends a command line (its name is the cause of what follows), then runs `seconds`.
function Rig.send(rig, line, seconds)
  rig.cause = line:match("^(AT[+%w]*)") or line
  rig.module:input(line .. "\r")
  rig:run(seconds or 1)
end
function Rig.pin(rig, seconds)
  rig.cause = "PSM_EINT"
  rig.module:wake("pin")
  rig:run(seconds or 1)
end

-- A module on a virtual clock that records what it does: rig.status_moves and
-- rig.power_moves (each change {from, to, the line that caused it}) and rig.power (the
-- power state timeline from the energy account).
local function rig_new()
  local c = clock.virtual()
  local p = Platform.new{clock = c}
  local rig = setmetatable({clock = c, platform = p, lines = {}, power = {}, status_moves = {}, power_moves = {}},
                        {__index = Rig})
  local pending = ""
  rig.module = Module.new{clock = c, platform = p, out = function(s)
    pending = pending .. s
    for line in pending:gmatch("([^\r\n]*)[\r\n]") do
      if line ~= "" then rig.lines[#rig.lines + 1] = line end
    end
    pending = pending:match("[^\r\n]*$")
  end}
  local m = rig.module
  p:register_device{imei = m.imei}
  local energy = m.energy
  local enter = energy.enter
  energy.enter = function(e, state)
    local last = rig.power[#rig.power]
    if not last or last.state ~= state then rig.power[#rig.power + 1] = {time = c:now(), state = state} end
    return enter(e, state)
  end
  m:power_on()
  rig.status, rig.state = m.status, nil
  rig.cause = "power on"
  rig:run(5)
  rig.power_moves = {} -- the boot and the attach are not part of the pictures
  return rig
end

----------------------------------------------------------------------------------------
-- the runs
local HOST = 'AT+NCDPOPEN="221.229.214.202",5683'
local function psm(tau, active)
  return ('AT+CPSMS=1,,,"%s","%s"'):format(timers.encode_tau(tau), timers.encode_active(active))
end

-- Every registration status change seen over the guide's paths: accepted, used and
-- closed; rejected; timed out; lost under the module.
function M.registration_moves()
  local moves = {}
  local function keep(rig) table.move(rig.status_moves, 1, #rig.status_moves, #moves + 1, moves) end
  local r = rig_new()
  r:send("AT+QSCLK=0"); r:send(HOST, 10); r:send("AT+NMGS=1,01,0", 5); r:send("AT+NCDPCLOSE", 10)
  keep(r)
  r = rig_new()
  r.platform:set_registration("reject"); r:send("AT+QSCLK=0"); r:send(HOST, 10)
  keep(r)
  r = rig_new()
  r.platform:set_registration("timeout"); r:send("AT+QSCLK=0"); r:send(HOST, 140)
  keep(r)
  r = rig_new()
  r:send("AT+QSCLK=0"); r:send(HOST, 10)
  r.cause = "connection error"; r.module:_connection_error(); r:run(2)
  keep(r)
  return moves
end

-- Every power state change of a registered module that sends, sleeps and is woken.
function M.power_moves()
  local r = rig_new()
  r:send("AT+CSCON=1"); r:send(psm(3600, 10)); r:send("AT+QSCLK=1"); r:send(HOST, 10)
  r:send("AT+NMGS=1,01,0", 60)   -- RAI 0: the network's inactivity timer releases the radio
  r:pin(1); r:send("AT+NMGS=1,02,1", 60) -- woken by the pin, RAI 1: released at once
  r.cause = "TAU"
  r:run(3700)                    -- the TAU timer wakes it
  return r.power_moves
end

-- The power timeline of one NON uplink with each RAI, from the send (time 0) on.
function M.rai_timelines(seconds)
  local out = {}
  for rai = 0, 2 do
    local r = rig_new()
    r:send("AT+CSCON=1"); r:send(psm(3600, 10)); r:send("AT+QSCLK=1"); r:send(HOST, 10)
    r:run(60) -- asleep now
    r:pin(1)
    local t0 = r.clock:now()
    local from = #r.power
    r:send(("AT+NMGS=1,01,%d"):format(rai), seconds)
    local line = {{time = 0, state = r.power[from].state}}
    for i = from + 1, #r.power do line[#line + 1] = {time = r.power[i].time - t0, state = r.power[i].state} end
    out[rai] = line
  end
  return out
end

----------------------------------------------------------------------------------------
-- drawing
local function esc(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end
local function num(x) return (("%.1f"):format(x):gsub("%.0$", "")) end

local TEXT = {
  registration = {en = "Registration states (AT+NMSTATUS?) seen on the virtual module",
                  zh = "虚拟模块上观察到的注册状态(AT+NMSTATUS?)"},
  power = {en = "Power states seen on the virtual module (PSM: deep sleep)",
           zh = "虚拟模块上观察到的功耗状态(PSM:深休眠)"},
  rai = {en = "One NON uplink at 0 s: the radio after it, by RAI",
         zh = "0 秒时发送一条 NON 上行数据:之后的无线状态,按 RAI 区分"},
  seconds = {en = "module seconds after AT+NMGS", zh = "AT+NMGS 之后的模块秒数"},
  connected = {en = "RRC connected", zh = "RRC 连接态"},
  idle = {en = "idle (paging)", zh = "空闲态(寻呼)"},
  psm = {en = "PSM (deep sleep)", zh = "PSM(深休眠)"},
  booting = {en = "waking", zh = "唤醒中"},
}
local function t(key, lang) return TEXT[key][lang] or TEXT[key].en end

local function svg_open(w, h, title)
  return {('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">')
            :format(w, h, w, h),
          '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
          ('<rect width="%d" height="%d" fill="white"/>'):format(w, h),
          ('<text x="10" y="20" font-size="14" font-weight="bold">%s</text>'):format(esc(title))}
end

-- A state diagram: nodes at the layout's grid cells ({col, row}), an arrow per observed
-- move labelled with its causes. A state the layout does not place goes on a last row.
local function diagram(moves, layout, title)
  local edges, order = {}, {}
  local extra_col = 0
  local function place(s)
    if not layout[s] then layout[s] = {extra_col, 3}; extra_col = extra_col + 1 end
  end
  for _, mv in ipairs(moves) do
    local from, to, why = mv[1], mv[2], mv[3]
    place(from); place(to)
    local key = from .. ">" .. to
    if not edges[key] then edges[key] = {from = from, to = to, why = {}}; order[#order + 1] = key end
    local seen = false
    for _, w in ipairs(edges[key].why) do seen = seen or w == why end
    if not seen then table.insert(edges[key].why, why) end
  end
  local BW, BH, CW, RH, X0, Y0 = 190, 34, 290, 110, 20, 50
  local cols, rows = 0, 0
  for _, pos in pairs(layout) do cols = math.max(cols, pos[1] + 1); rows = math.max(rows, pos[2] + 1) end
  local used = {}
  for _, e in pairs(edges) do used[e.from], used[e.to] = true, true end
  local function center(s) local p = layout[s]; return X0 + p[1] * CW + BW / 2, Y0 + p[2] * RH + BH / 2 end
  local out = svg_open(X0 * 2 + (cols - 1) * CW + BW, Y0 + (rows - 1) * RH + BH + 30, title)
  local names = {}
  for s in pairs(used) do names[#names + 1] = s end
  table.sort(names)
  for _, s in ipairs(names) do
    local x, y = center(s)
    out[#out + 1] = ('<rect x="%s" y="%s" width="%d" height="%d" rx="8" fill="#eef4fb" stroke="#36c"/>')
      :format(num(x - BW / 2), num(y - BH / 2), BW, BH)
    out[#out + 1] = ('<text x="%s" y="%s" text-anchor="middle" font-size="11">%s</text>'):format(num(x), num(y + 4), esc(s))
  end
  for _, key in ipairs(order) do
    local e = edges[key]
    local x1, y1 = center(e.from)
    local x2, y2 = center(e.to)
    -- both directions between two states: each arrow bends to its own side
    local dx, dy = x2 - x1, y2 - y1
    local len = math.sqrt(dx * dx + dy * dy)
    local nx, ny = -dy / len, dx / len
    local bend = edges[e.to .. ">" .. e.from] and 18 or 0
    -- leave the boxes: clip the ends to the boxes' borders
    local function clip(x, y, sx, sy)
      local tx = sx ~= 0 and (BW / 2) / math.abs(sx) or math.huge
      local ty = sy ~= 0 and (BH / 2 + 4) / math.abs(sy) or math.huge
      local k = math.min(tx, ty)
      return x + sx * k, y + sy * k
    end
    local ax, ay = clip(x1, y1, dx / len, dy / len)
    local bx, by = clip(x2, y2, -dx / len, -dy / len)
    local mx, my = (ax + bx) / 2 + nx * bend, (ay + by) / 2 + ny * bend
    out[#out + 1] = ('<path d="M%s,%s Q%s,%s %s,%s" fill="none" stroke="#333" marker-end="url(#arrow)"/>')
      :format(num(ax), num(ay), num(mx), num(my), num(bx), num(by))
    out[#out + 1] = ('<text x="%s" y="%s" text-anchor="middle" font-size="10" fill="#a33">%s</text>')
      :format(num(mx + nx * 8), num(my + ny * 8 + 3), esc(table.concat(e.why, ", ")))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n") .. "\n"
end

-- The registration states, left to right as a session goes; failures above and below.
function M.registration_svg(lang)
  local layout = {UNINITIALISED = {0, 1}, REGISTERING = {1, 1}, REGISTERED = {2, 1},
                  REGISTERED_AND_OBSERVED = {3, 1}, DEREGISTERING = {3, 2}, DEREGISTERED = {2, 2},
                  REJECTED_BY_SERVER = {1, 0}, TIMEOUT = {1, 2}}
  return diagram(M.registration_moves(), layout, t("registration", lang))
end

function M.power_svg(lang)
  local moves = {}
  for _, mv in ipairs(M.power_moves()) do moves[#moves + 1] = {t(mv[1], lang), t(mv[2], lang), mv[3]} end
  local layout = {[t("connected", lang)] = {1, 0}, [t("idle", lang)] = {2, 1},
                  [t("psm", lang)] = {1, 2}, [t("booting", lang)] = {0, 1}}
  return diagram(moves, layout, t("power", lang))
end

local COLOURS = {connected = "#d9534f", idle = "#f0ad4e", psm = "#5cb85c", booting = "#999999", off = "#cccccc"}

-- Three bars (RAI 0, 1, 2), coloured by power state over the first `seconds`.
function M.rai_svg(lang, seconds)
  seconds = seconds or 40
  local lines = M.rai_timelines(seconds)
  local X0, W, Y0, RH = 70, 600, 50, 34
  local px = W / seconds
  local out = svg_open(X0 + W + 30, Y0 + 3 * RH + 80, t("rai", lang))
  for rai = 0, 2 do
    local y = Y0 + rai * RH
    out[#out + 1] = ('<text x="10" y="%d">RAI %d</text>'):format(y + 17, rai)
    local line = lines[rai]
    for i, seg in ipairs(line) do
      local t1 = math.min(line[i + 1] and line[i + 1].time or seconds, seconds)
      if t1 > seg.time then
        out[#out + 1] = ('<rect x="%s" y="%d" width="%s" height="22" fill="%s"/>')
          :format(num(X0 + seg.time * px), y + 2, num((t1 - seg.time) * px), COLOURS[seg.state] or "#000")
      end
    end
  end
  local axis = Y0 + 3 * RH + 4
  out[#out + 1] = ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>'):format(X0, axis, X0 + W, axis)
  for s = 0, seconds, 5 do
    local x = X0 + s * px
    out[#out + 1] = ('<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#333"/>'):format(num(x), axis, num(x), axis + 4)
    out[#out + 1] = ('<text x="%s" y="%d" text-anchor="middle" font-size="10">%d</text>'):format(num(x), axis + 16, s)
  end
  out[#out + 1] = ('<text x="%d" y="%d" text-anchor="middle" font-size="11">%s</text>'):format(X0 + W / 2, axis + 32, esc(t("seconds", lang)))
  local x = X0
  for _, state in ipairs({"connected", "idle", "psm", "booting"}) do
    out[#out + 1] = ('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>'):format(x, axis + 42, COLOURS[state])
    out[#out + 1] = ('<text x="%d" y="%d" font-size="11">%s</text>'):format(x + 16, axis + 52, esc(t(state, lang)))
    x = x + 150
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n") .. "\n"
end

-- name -> function(lang): every figure; files are <name>.<lang>.svg.
M.FIGURES = {registration = M.registration_svg, power = M.power_svg, rai = M.rai_svg}

function M.write(dir)
  for name, draw in pairs(M.FIGURES) do
    for _, lang in ipairs({"en", "zh"}) do
      local f = assert(io.open(("%s/%s.%s.svg"):format(dir, name, lang), "w"))
      f:write(draw(lang))
      f:close()
    end
  end
end

return M
