-- bc260y.console: `bc260y console [PORT]`, an AT terminal that teaches. Each line typed
-- goes to the module (a real one on PORT, else the virtual module); under every line the
-- module prints, the console shows what it means (bc260y.console.explain) in English or Chinese.
-- `help CMD` shows the guide's syntax, parameters and notes (bc260y.console.commands); `:lua`
-- runs Lua with `m` bound to the open Modem; `:wait S` lets S module seconds pass; --log
-- FILE keeps a timestamped session log. What the module is busy with shows while it lasts
-- (bc260y.console.waits, and the Modem's own waits such as a wake-up from deep sleep), and
-- every line the console's Modem sends by itself says why (bc260y.console.sent).
--
--   require("bc260y.console").main(argv) -> exit status
local bc260y = require("bc260y")
local i18n = require("bc260y.i18n")
local explain = require("bc260y.console.explain")
local commands = require("bc260y.console.commands")
local lineedit = require("bc260y.console.lineedit")
local progress = require("bc260y.progress")
local console_waits = require("bc260y.console.waits")
local sent = require("bc260y.console.sent")
local loop = require("bc260y.loop")
local trace = require("bc260y.trace")
local decode = require("bc260y.core").decode


local console = {}

-- PSKs this process has seen typed: masked in every later log line too.
local typed_secrets = {}

-- What the log keeps of a line: a PSK never. It travels in AT+NCDPOPEN's third field
-- (trace.redact), in a `psk = "..."` of a :lua line, or anywhere once known: typed
-- before, or the one the Modem connected with. (A PSK held in a Lua variable first and
-- used only later is masked from its use on, not in the line that assigned it.)
local function redact_secrets(text, m, own_text)
  text = tostring(text)
  -- (the console's own texts hold no typed field: "AT+NCDPOPEN=<ip_addr>[,<port>[,<psk>]]"
  -- in a help or a meaning is syntax, not a key)
  local redacted = own_text and text or trace.redact(text)
  local field = text:sub(#(redacted:match("^(.-)<psk:%d+ bytes>$") or text) + 1):gsub('"', "")
  if field:match("^%x+$") then typed_secrets[field:upper()] = true end
  redacted = redacted:gsub("([Pp][Ss][Kk]%s*=%s*)([\"'])(.-)%2", function(key, _, value)
    if value:match("^%x+$") then typed_secrets[value:upper()] = true end
    return key .. ("<psk:%d bytes>"):format(#value // 2)
  end)
  local known = m and m._psk
  if known and known ~= "" then typed_secrets[known:upper()] = true end
  for secret in pairs(typed_secrets) do
    redacted = trace.mask_pieces(trace.scrub(redacted, secret), secret)
  end
  return redacted
end

console.USAGE = {
  en = [[
usage: bc260y console [PORT] [--lang en|zh] [--log FILE] [--speed S] [--timeout S]
An AT terminal that explains every line from the module (the guide's tables).
  PORT           /dev/ttyUSB0, /dev/pts/N, tcp://host:port; default: the virtual module
  --lang L       en or zh (default: BC260Y_LANG, else a Chinese LANG, else en)
  --log FILE     append a timestamped log of the session to FILE
  --speed S      the virtual module's time scale (default 1: real time)
  --timeout S    how long a command may take to answer (default 10 s)
Inside: AT commands, help, help CMD, help errors, explain LINE, :lua CODE, :wait S, :quit
]],
  zh = [[
用法: bc260y console [PORT] [--lang en|zh] [--log FILE] [--speed S] [--timeout S]
会解释模块每一行输出的 AT 终端(依据指导中的表格)。
  PORT           /dev/ttyUSB0、/dev/pts/N、tcp://host:port;默认:虚拟模块
  --lang L       en 或 zh(默认:BC260Y_LANG,否则中文 LANG,否则 en)
  --log FILE     将带时间戳的会话日志追加到 FILE
  --speed S      虚拟模块的时间倍率(默认 1:实时)
  --timeout S    命令应答的最长等待时间(默认 10 秒)
控制台内:AT 命令、help、help CMD、help errors、explain LINE、:lua CODE、:wait S、:quit
]],
}

local function usage() return i18n.pick(console.USAGE) end

local function parse(argv)
  local o = {timeout = 10}
  local i = 1
  local function value(name)
    i = i + 1
    if argv[i] == nil then error(i18n.t("cli.needs_value", name), 0) end
    return argv[i]
  end
  local function number(name)
    local n = tonumber(value(name))
    if not n or n <= 0 or n ~= n or n == math.huge then error(name .. ": a number > 0", 0) end
    return n
  end
  while i <= #argv do
    local a = argv[i]
    if a == "--lang" then
      local l = i18n.normalise(value(a))
      if not l then error(i18n.t("cli.bad_lang"), 0) end
      o.lang = l
    elseif a == "--log" then o.log = value(a)
    elseif a == "--speed" then o.speed = number(a)
    elseif a == "--timeout" then o.timeout = number(a)
    elseif a == "--help" or a == "-h" then o.help = true
    elseif a:sub(1, 1) == "-" then error(i18n.t("cli.unknown_option", "console", a, "console"), 0)
    elseif not o.port then o.port = a
    else error(i18n.t("cli.unknown_option", "console", a, "console"), 0) end
    i = i + 1
  end
  return o
end

-- Completion: AT command names for a line that starts with AT, command names for `help`.
local CONSOLE_WORDS = {"help", "explain", ":lua", ":wait", ":quit"}
local function completer(line)
  local out = {}
  local up = line:upper()
  local help_arg = line:match("^help%s+(.*)$")
  if help_arg then
    for _, n in ipairs(commands.names()) do
      local short = n:upper():gsub("^AT%+?", "")
      local a = help_arg:upper()
      if commands.get(n) and (n:upper():find(a, 1, true) == 1 or short:find(a, 1, true) == 1) then
        out[#out + 1] = "help " .. n
      end
    end
    if ("ERRORS"):find(help_arg:upper(), 1, true) == 1 then out[#out + 1] = "help errors" end
    return out
  end
  for _, n in ipairs(commands.names()) do
    if n:upper():find(up, 1, true) == 1 then out[#out + 1] = n end
  end
  if #out == 0 then
    for _, w in ipairs(CONSOLE_WORDS) do
      if w:find(line, 1, true) == 1 then out[#out + 1] = w end
    end
  end
  return out
end
console.complete = completer

local function errors_list(lang)
  local codes = {}
  for code in pairs(bc260y.errors) do codes[#codes + 1] = code end
  table.sort(codes)
  local out = {i18n.pick(require("bc260y.messages")["console.errors_title"], lang)}
  for _, code in ipairs(codes) do
    local e = bc260y.errors[code]
    out[#out + 1] = ("  %4d  %-38s %s"):format(code, e.name, lang == "zh" and e.zh or e.en)
  end
  return table.concat(out, "\n")
end

function console.main(argv)
  local okp, o = pcall(parse, argv or {})
  if not okp then
    io.stderr:write("bc260y console: ", tostring(o), "\n")
    return 2
  end
  if o.lang then i18n.set(o.lang) end
  if o.help then io.write(usage()); return 0 end
  if o.speed and o.port and o.port ~= "sim" then
    io.stderr:write("bc260y console: ", i18n.t("cli.speed_sim_only"), "\n")
    return 2
  end
  local lang = i18n.lang()

  local the_modem -- once open: the PSK it connected with is masked in the log too
  local log
  if o.log then
    -- Created 0600, never through a symbolic link, only a regular file (private_file.c):
    -- the log holds what was typed, and a PSK may be in it.
    -- (open_private is in the tools' C module, bc260y.sim.core, not in a router's core.so)
    local has_tools, tools = pcall(require, "bc260y.sim.core")
    local f, err
    if has_tools then f, err = tools.open_private(o.log)
    else err = i18n.t("console.log_needs_tools") end
    if not f then
      io.stderr:write("bc260y console: ", trace.printable(err), "\n")
      return 1
    end
    f:setvbuf("line")
    -- Wall-clock time with milliseconds: the start's date plus the monotonic clock since.
    -- Kinds: "> " a line typed, "-->" a line sent to the module (once, when it goes out),
    -- "<--" a line from the module, "  =" its meaning, "  " the console's own text, "lua"
    -- what :lua printed.
    local wall0, mono0 = os.time(), loop.now()
    log = function(kind, text)
      local t = wall0 + (loop.now() - mono0)
      f:write(("%s.%03d %s %s\n"):format(os.date("%Y-%m-%d %H:%M:%S", math.floor(t)),
        math.floor(t * 1000) % 1000, kind, trace.printable(redact_secrets(text, the_modem, kind == "  =" or kind == "  "), true)))
    end
  end

  local ed = lineedit.new{prompt = "> ", complete = completer}
  -- Everything shown passes the one printable rule (trace.printable): the module's bytes
  -- never reach the terminal as control sequences.
  local function show(text, kind)
    ed:print(trace.printable(text, true))
    if log then log(kind or "  ", text) end
  end

  -- What the module is busy with: in the prompt on a terminal ("[waiting for ... 3 s
  -- (up to 126 s)] > "), as lines of their own in a pipe; the end always on a line.
  -- Waits count module seconds, as the guide's limits do (the virtual module may run faster).
  -- The console's own waits (bc260y.console.waits, :wait) and the Modem's (its progress
  -- option: a wake-up from deep sleep...) show alike.
  local module_clock = loop.now
  local own = sent.new()
  local function display(ev)
    local text
    if ev.phase == "gave_up" then -- (bc260y.console.waits: the module's limit passed)
      local known, what = pcall(i18n.t, ev.what)
      text = i18n.t("console.gave_up", known and what or tostring(ev.what), math.floor(ev.limit))
    else
      text = progress.describe(ev)
    end
    if ev.phase == "start" or ev.phase == "tick" then
      if ed.tty then
        ed:set_prompt("[" .. text .. "] > ")
      elseif ev.phase == "start" then
        show(text)
      end
    else
      ed:set_prompt("> ")
      show(text)
    end
  end
  local waits = console_waits.new(display, function() return module_clock() end)
  local function on_progress(ev)
    if ev.what == progress.WAKE then own:waking(ev.phase == "start" or ev.phase == "tick") end
    display(ev)
  end

  -- What the console knows that explains a line (bc260y.console.explain's ctx): the command
  -- typed, the error report mode (the virtual module starts with AT+CMEE=1), the virtual
  -- module's command table, whether a firmware update just ended.
  local ctx = {}
  local typed -- the line typed that is being run: it is on the screen already
  local queued_line -- that line waited in the queue: shown again when it goes out
  local in_lua = false
  local echo -- the last line sent: its echo is not shown again
  local function on_trace(dir, line)
    if dir == "out" then
      echo = line
      local why = own:classify(line, typed and trace.redact(typed), in_lua)
      if log then log("-->", line) end
      if why ~= "typed" or queued_line then
        ed:print("--> " .. trace.printable(line))
        local reason = why == "typed" and "console.sent_queued" or "console.sent_" .. why
        show("    ↳ " .. i18n.t(reason), "  =")
        if why == "typed" then queued_line = nil end
      end
      return
    end
    if echo and line == echo then echo = nil; return end
    if log then log("<--", line) end
    ed:print(trace.printable(line))
    local d = decode(line)
    local kind = d and d.kind
    if line == "OK" or line == "ERROR" or kind == "cme_error" or line:match("^%+CME ERROR:") then own:final() end
    local cmee = line:match("^%+CMEE: ([012])$")
    if cmee then ctx.cmee = tonumber(cmee) end
    ctx.command = typed
    local meaning = explain.line(line, lang, ctx)
    if meaning then show("    ↳ " .. meaning, "  =") end
    if kind == "fota" and d.stage == "end" and d.value == 0 then ctx.after_update = true
    elseif kind == "rdy" or (kind == "cpin" and ctx.after_update) then ctx.after_update = nil end
    waits:line(line)
  end

  local status = 0
  local function session()
    local port = o.port or "sim"
    local m, msg = bc260y.open(port, {trace = on_trace, progress = on_progress, sim = {speed = o.speed}})
    if not m then
      io.stderr:write("bc260y console: ", i18n.t("cli.cannot_open", port, tostring(msg)), "\n")
      status = 1
      return
    end
    the_modem = m
    module_clock = progress.clock(m)
    if m.sim then
      local has, sim_commands = pcall(require, "bc260y.sim.commands")
      ctx.sim = has and sim_commands.COMMANDS or nil
      ctx.cmee = 1 -- the virtual module's default (bc260y.sim.module)
    end
    -- A virtual module has just been switched on: let it boot and attach (a second or
    -- two of its time) so the first command is not lost in the boot.
    if m.sim then
      local deadline = loop.now() + 10
      while not m.sim:state().attached and loop.now() < deadline do loop.sleep(0.05) end
    end
    local queue, arrived, finished, busy = {}, loop.signal(), false, nil
    ed:start(function(line)
      if log then log("> ", line) end
      -- A line typed while the console runs another (a :wait, a command waiting for the
      -- module) waits its turn: say so, and show it again when it goes out.
      local last = queue[#queue]
      local ahead = busy or (last and last.line:match("^%s*(.-)%s*$"))
      if ahead and ed.tty and line:match("%S") then
        show(i18n.t("console.queued", ahead))
        queue[#queue + 1] = {line = line, queued = true}
      else
        queue[#queue + 1] = {line = line}
      end
      arrived:notify()
    end, function()
      queue[#queue + 1] = false
      arrived:notify()
    end)
    show(i18n.t("console.banner", o.port or i18n.t("console.virtual")))

    local env = setmetatable({m = m, bc260y = bc260y, print = function(...)
      local parts = table.pack(...)
      for k = 1, parts.n do parts[k] = tostring(parts[k]) end
      show(table.concat(parts, "\t", 1, parts.n), "lua") -- (redacted as typed text is)
    end}, {__index = _G})

    -- :wait S: S seconds of the module's clock pass (the virtual module's, which may run
    -- faster than real time), shown as a wait of its own.
    local function wait_module_seconds(seconds)
      local what = i18n.t("console.wait_what", seconds)
      local t0 = module_clock()
      local function elapsed() return module_clock() - t0 end
      display{what = what, phase = "start", elapsed = 0, limit = seconds}
      while elapsed() < seconds do
        local left = (seconds - elapsed()) / m:time_scale()
        loop.sleep(math.min(1, math.max(left, 0.001)))
        if elapsed() < seconds then display{what = what, phase = "tick", elapsed = elapsed(), limit = seconds} end
      end
      display{what = what, phase = "done", elapsed = elapsed(), limit = seconds}
    end

    local function run_lua(code)
      local chunk = load("return " .. code, "=:lua", "t", env)
      if not chunk then
        local err
        chunk, err = load(code, "=:lua", "t", env)
        if not chunk then return show(i18n.t("console.lua_error", err)) end
      end
      in_lua = true
      local r = table.pack(pcall(chunk))
      in_lua = false
      if not r[1] then return show(i18n.t("console.lua_error", tostring(r[2]))) end
      if r.n > 1 then env.print(table.unpack(r, 2, r.n)) end
    end

    local function handle(line)
      local trimmed = line:match("^%s*(.-)%s*$")
      -- A line pasted from the screen or the log keeps the console's marks ("--> AT+CMEE?",
      -- "> AT"): what it sent is the rest. (Logged as typed, such a line read "--> --> ...".)
      trimmed = trimmed:match("^%-%->%s+([Aa][Tt].*)$") or trimmed:match("^>%s+([Aa][Tt].*)$") or trimmed
      if trimmed == "" then return end
      local word, rest = trimmed:match("^(%S+)%s*(.*)$")
      local lw = word:lower()
      if lw == ":quit" or lw == ":q" or lw == "quit" or lw == "exit" then finished = true; return end
      if lw == "help" or lw == "?" then
        if rest == "" then
          show(i18n.t("console.help") .. "\n" .. commands.list(lang))
        elseif rest:lower() == "errors" then
          show(errors_list(lang))
        else
          show(commands.help(rest, lang) or i18n.t("console.no_help", rest))
        end
        return
      end
      if lw == "explain" then
        show(explain.line(rest, lang) or i18n.t("console.no_meaning"))
        return
      end
      if lw == ":lua" then return run_lua(rest) end
      if lw == ":wait" then
        local seconds = tonumber(rest)
        if not seconds or seconds < 0 or seconds ~= seconds or seconds == math.huge then
          return show(i18n.t("console.wait_usage"))
        end
        return wait_module_seconds(seconds)
      end
      if not trimmed:match("^[Aa][Tt]") then return show(i18n.t("console.not_at", trimmed)) end
      typed = trimmed
      local ok, r, err, code = pcall(m.at, m, trimmed, {timeout = o.timeout})
      typed, queued_line = nil, nil
      if not ok then return show(i18n.t("console.refused", (tostring(r):gsub("^[^:]*:%d+: ", "")))) end
      if r then
        local cmee = trimmed:upper():match("^AT%+CMEE=([012])$")
        if cmee then ctx.cmee = tonumber(cmee) end
        return waits:command_ok(trimmed)
      end
      -- the module's own answer (ERROR, +CME ERROR) was shown with its meaning already
      if code == "timeout" then
        own:timed_out()
        show(i18n.t("console.timeout", o.timeout))
      elseif code == "busy" then show(i18n.t("console.refused", tostring(err)))
      elseif code == "closed" or code == "io" then
        show(i18n.t("console.closed", tostring(err)))
        finished = true
      end
    end

    while not finished do
      if #queue == 0 then arrived:wait() end
      local item = table.remove(queue, 1)
      if item == false then break end
      if item then
        busy = item.line:match("^%s*(.-)%s*$")
        if item.queued then queued_line = busy end
        handle(item.line)
        busy, queued_line = nil, nil
      end
    end
    waits:stop()
    ed:stop()
    m:close({deregister = false})
  end

  -- loop.run, not bc260y.run: a console session leaves the module registered as the person
  -- left it (close{deregister = false} above), and a signal ends it as it always did, not by
  -- the orderly stop of a device script (bc260y.shutdown).
  local ok, err = xpcall(loop.run, debug.traceback, session)
  ed:stop()
  if not ok then error(err, 0) end
  return status
end

return console
