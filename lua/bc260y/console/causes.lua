-- bc260y.console.causes: why the module refused a command typed in the console, as far as
-- the command's own text tells: the parameter at fault where the guide's rule for it is
-- known (AT+NMGS=3,0102: <length> is 3 but <data> holds 2 bytes), "did you mean" for a name
-- near a known command (AT+NMSG), a command or form the virtual module does not implement,
-- a form the command does not have (AT+NCDPOPEN with no parameters), error codes turned
-- off (AT+CMEE=0). The console prints it under the ERROR or +CME ERROR line.
--
--   causes.of(command, final, ctx[, lang]) -> text | nil
--     command: what was typed; final: "ERROR" or a +CME ERROR code (a number);
--     ctx: {cmee = 0..2 | nil (unknown), sim = the virtual module's command table | nil}
--   causes.parameter_fault(command[, lang]) -> text | nil   (the first parameter at fault)
--   causes.near(name) -> "AT+NMGS" | nil
local i18n = require("bc260y.i18n")
local commands = require("bc260y.console.commands")

local causes = {}

local M = {
  count = {en = "%s takes %s parameter(s): %s; %d given",
           zh = "%s 需要 %s 个参数:%s;实际给了 %d 个"},
  not_int = {en = "%s must be an integer in %s, not '%s'", zh = "%s 必须是 %s 范围内的整数,而不是 '%s'"},
  not_hex = {en = "<data> must be hex digits (two per byte), not '%s'",
             zh = "<data> 必须是十六进制数字(每字节两位),而不是 '%s'"},
  odd_hex = {en = "<data> has an odd number of hex digits (%d): two digits make one byte",
             zh = "<data> 的十六进制数字个数为奇数(%d 位):每两位组成一个字节"},
  length_short = {en = "<length> is %d but <data> holds %d byte(s): they must agree",
                  zh = "<length> 为 %d,但 <data> 只有 %d 字节:两者必须一致"},
  length_long = {en = "<data> holds %d byte(s), more than <length> %d",
                 zh = "<data> 有 %d 字节,超过了 <length> %d"},
  too_big = {en = "<length> %d is over the limit of 1024 bytes per message",
             zh = "<length> %d 超过每条消息 1024 字节的上限"},
  no_host = {en = "<ip_addr> is empty or not an address: '%s'", zh = "<ip_addr> 为空或不是地址:'%s'"},
  bad_psk = {en = "<psk> must be hex digits, an even number of them, at most 256 bytes: '%s'",
             zh = "<psk> 必须是偶数个十六进制数字,最多 256 字节:'%s'"},
  cmee_off = {en = "error codes are off (AT+CMEE=0), so the module says only ERROR: AT+CMEE=1 makes it name the error",
              zh = "错误码上报已关闭(AT+CMEE=0),模块只回 ERROR:执行 AT+CMEE=1 后会给出错误码"},
  near = {en = "%s is no command of the module: did you mean %s? (help %s)",
          zh = "模块没有 %s 命令:是否想输入 %s?(help %s)"},
  unknown_sim = {en = "%s is not implemented by the virtual module (nor documented by the guide): `help` lists the commands",
                 zh = "虚拟模块未实现 %s(指导中也没有此命令):`help` 列出全部命令"},
  unknown = {en = "%s is not a command of the guide: see the module's AT commands manual (`help` lists the guide's)",
             zh = "%s 不是指导中的命令:请查阅模块的 AT 命令手册(`help` 列出指导中的命令)"},
  sim_lacks = {en = "%s is not implemented by the virtual module (the real module has it: see `help %s`)",
               zh = "虚拟模块未实现 %s(真实模块支持:见 `help %s`)"},
  no_form = {en = "%s has no %s form: its syntax is %s (help %s)",
             zh = "%s 没有%s形式:其语法为 %s(help %s)"},
  no_form_sim = {en = "the virtual module does not implement %s in its %s form",
                 zh = "虚拟模块未实现 %s 的%s形式"},
  refused = {en = "%s exists and error codes are on (AT+CMEE=%d), so a plain ERROR is the module refusing it now: %s",
             zh = "%s 命令存在且错误码上报已开启(AT+CMEE=%d),因此单独的 ERROR 表示模块此时拒绝执行:%s"},
  state = {en = "its state does not allow it", zh = "当前状态不允许"},
  ncdpclose_registering = {en = "a connection attempt is running: wait for its result URC before AT+NCDPCLOSE",
                           zh = "连接请求正在进行:须等连接结果码上报后才能执行 AT+NCDPCLOSE"},
  cgatt_cfun = {en = "the radio is off (AT+CFUN=0): AT+CFUN=1 first",
                zh = "射频已关闭(AT+CFUN=0):请先执行 AT+CFUN=1"},
}
causes.messages = M

local FORM_NAMES = {
  test = {en = "test (=?)", zh = "测试(=?)"}, read = {en = "read (?)", zh = "查询(?)"},
  exec = {en = "execution (no parameters)", zh = "执行(无参数)"}, set = {en = "set (=...)", zh = "设置(=...)"},
}

local function t(key, lang, ...) return i18n.pick(M[key], lang):format(...) end

-- The parameters of a set form, split at commas outside quotes; nil when a quote is open.
local function split(s)
  local args, cur, quoted = {}, {}, false
  for c in s:gmatch(".") do
    if c == '"' then quoted = not quoted; cur[#cur + 1] = c
    elseif c == "," and not quoted then args[#args + 1] = table.concat(cur); cur = {}
    else cur[#cur + 1] = c end
  end
  if quoted then return nil end
  args[#args + 1] = table.concat(cur)
  return args
end

local function unquote(s) return s:match('^"(.*)"$') or s end

-- An integer parameter: nil when it is one in lo..hi, else the fault.
local function int_fault(name, s, lo, hi, lang)
  local n = s and s:match("^%d+$") and tonumber(s)
  if n and n >= lo and n <= hi then return nil end
  return t("not_int", lang, name, ("%d..%d"):format(lo, hi), tostring(s))
end

-- The name, form and parameters of a command line: "NMGS", "set", {"3", "0102"}.
local function parse(command)
  local up = command:upper()
  local name, tail = up:match("^AT%+(%u[%u%d]*)(.*)$")
  if not name then return nil end
  tail = command:sub(#name + 4)
  if tail == "=?" then return name, "test" end
  if tail == "?" then return name, "read" end
  if tail == "" then return name, "exec" end
  if tail:sub(1, 1) == "=" then return name, "set", split(tail:sub(2)) end
  return name, nil
end
causes.parse = parse

-- Rules for the parameters of the set forms the guide (and 27.007) documents: each returns
-- the first fault or nil. The counts and ranges are the guide's (docs in
-- lua/bc260y/console/commands.lua); the virtual module applies the same ones.
local function count_fault(cmd, a, lo, hi, syntax, lang)
  if #a >= lo and #a <= hi then return nil end
  return t("count", lang, cmd, lo == hi and tostring(lo) or ("%d..%d"):format(lo, hi), syntax, #a)
end

local function single(range_hi, name, lo)
  return function(a, lang, cmd)
    return count_fault(cmd, a, 1, 1, name, lang) or int_fault(name, a[1], lo or 0, range_hi, lang)
  end
end

local RULES = {
  NMGS = function(a, lang, cmd)
    local f = count_fault(cmd, a, 2, 3, "<length>,<data>[,<type>]", lang)
    if f then return f end
    local len = a[1]:match("^%d+$") and tonumber(a[1])
    if not len then return t("not_int", lang, "<length>", "1..1024", a[1]) end
    local hex = unquote(a[2])
    if hex:find("[^%x]") then return t("not_hex", lang, hex) end
    if #hex % 2 ~= 0 then return t("odd_hex", lang, #hex) end
    if len < 1 then return t("not_int", lang, "<length>", "1..1024", a[1]) end
    if len > 1024 then return t("too_big", lang, len) end
    local bytes = #hex // 2
    if bytes > len then return t("length_long", lang, bytes, len) end
    if bytes < len then return t("length_short", lang, len, bytes) end
    if a[3] then
      local ty = a[3]:match("^%d+$") and tonumber(a[3])
      local ok = ({[0] = true, [1] = true, [2] = true, [100] = true, [101] = true, [102] = true})[ty]
      if not ok then return t("not_int", lang, "<type>", "0 1 2 100 101 102", a[3]) end
    end
  end,
  NCDPOPEN = function(a, lang, cmd)
    local f = count_fault(cmd, a, 1, 3, "<ip_addr>[,<port>[,<psk>]]", lang)
    if f then return f end
    local host = unquote(a[1])
    if host == "" or #host > 63 or host:find("[^%w%.%-:]") then return t("no_host", lang, a[1]) end
    if a[2] and a[2] ~= "" then
      f = int_fault("<port>", a[2], 0, 65535, lang)
      if f then return f end
    end
    if a[3] then
      local psk = unquote(a[3])
      if psk == "" or #psk % 2 ~= 0 or #psk > 512 or psk:find("[^%x]") then
        return t("bad_psk", lang, ("<psk:%d digits>"):format(#psk))
      end
    end
  end,
  NCFG = function(a, lang, cmd)
    local f = count_fault(cmd, a, 1, 2, "<mode>[,<value>]", lang)
      or int_fault("<mode>", a[1], 0, 0, lang)
    if f or not a[2] then return f end
    return int_fault("<value>", a[2], 0, 2592000, lang)
  end,
  NNMI = single(2, "<status>"), QSCLK = single(2, "<n>"), CMEE = single(2, "<n>"),
  CSCON = single(1, "<n>"), CEREG = single(5, "<n>"), CGATT = single(1, "<state>"),
  CGSN = single(3, "<snt>"), QRST = single(1, "<mode>", 1),
  CFUN = function(a, lang, cmd)
    return count_fault(cmd, a, 1, 2, "<fun>[,<rst>]", lang) or int_fault("<fun>", a[1], 0, 1, lang)
      or (a[2] and int_fault("<rst>", a[2], 0, 0, lang)) or nil
  end,
}

-- The first parameter at fault in a set form whose rule is known, else nil.
function causes.parameter_fault(command, lang)
  lang = lang or i18n.lang()
  local name, form, args = parse(command)
  if form ~= "set" or not RULES[name] then return nil end
  return RULES[name](args, lang, "AT+" .. name)
end

-- Optimal string alignment distance (a swap of two neighbours counts one: NMSG -> NMGS).
local function distance(a, b)
  local d = {}
  for i = 0, #a do d[i] = {[0] = i} end
  for j = 0, #b do d[0][j] = j end
  for i = 1, #a do
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      local v = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1 and j > 1 and a:sub(i, i) == b:sub(j - 1, j - 1) and a:sub(i - 1, i - 1) == b:sub(j, j) then
        v = math.min(v, d[i - 2][j - 2] + 1)
      end
      d[i][j] = v
    end
  end
  return d[#a][#b]
end

-- Every command name the console knows: the guide's (bc260y.console.commands), the
-- virtual module's when given.
local function known_names(sim)
  local names = {}
  for k in pairs(commands.table) do if k ~= "I" then names[k] = true end end
  for _, n in ipairs(commands.names()) do
    local k = n:upper():match("^AT%+(%u[%u%d]*)")
    if k then names[k] = true end
  end
  for k in pairs(sim or {}) do names[k] = true end
  return names
end

-- The known command nearest to name (one or two edits away), or nil.
function causes.near(name, sim)
  name = name:upper():gsub("^AT%+?", "")
  local best, best_d
  for k in pairs(known_names(sim)) do
    local d = distance(name, k)
    if d > 0 and d <= (#name >= 4 and 2 or 1) and (not best_d or d < best_d or (d == best_d and k < best)) then
      best, best_d = k, d
    end
  end
  return best and "AT+" .. best or nil
end

-- The guide's syntax of a command: its forms, joined.
local function syntax(name)
  local c = commands.table[name]
  if not c then return nil end
  local forms = {}
  for _, f in ipairs(c.forms) do forms[#forms + 1] = f[1] end
  return table.concat(forms, " | ")
end

local function plain_error(command, ctx, lang)
  if ctx.cmee == 0 then return t("cmee_off", lang) end
  local name, form = parse(command)
  if not name then return nil end
  local cmd = "AT+" .. name
  local sim = ctx.sim
  local documented = commands.table[name] ~= nil
  local exists = documented or (sim and sim[name]) or known_names(nil)[name]
  if not exists or (sim and not sim[name] and not documented) then
    local near = causes.near(name, sim)
    if near then return t("near", lang, cmd, near, near:sub(4)) end
    return sim and t("unknown_sim", lang, cmd) or t("unknown", lang, cmd)
  end
  if sim and not sim[name] then return t("sim_lacks", lang, cmd, name) end
  local forms = sim and sim[name]
  if forms and form and not forms[form] then
    local s = syntax(name)
    if s then return t("no_form", lang, cmd, i18n.pick(FORM_NAMES[form], lang), s, name) end
    return t("no_form_sim", lang, cmd, i18n.pick(FORM_NAMES[form], lang))
  end
  if form and not forms then
    -- no virtual module to ask: the guide's forms tell whether this one exists
    local s = syntax(name)
    local c = commands.table[name]
    if s and c and c.guide then
      local has = false
      for _, f in ipairs(c.forms) do
        local _, fform = parse(f[1]:gsub("<[^>]*>", "0"):gsub("[%[%]]", ""))
        if fform == form then has = true end
      end
      if not has then return t("no_form", lang, cmd, i18n.pick(FORM_NAMES[form], lang), s, name) end
    end
  end
  local fault = causes.parameter_fault(command, lang)
  if fault then return fault end
  local why = ({NCDPCLOSE = "ncdpclose_registering", CGATT = "cgatt_cfun"})[name]
  if ctx.cmee then return t("refused", lang, cmd, ctx.cmee, i18n.pick(M[why or "state"], lang)) end
  return why and i18n.pick(M[why], lang) or nil
end

function causes.of(command, final, ctx, lang)
  lang = lang or i18n.lang()
  ctx = ctx or {}
  if type(command) ~= "string" then return nil end
  command = command:match("^%s*(.-)%s*$")
  if final == "ERROR" then return plain_error(command, ctx, lang) end
  return causes.parameter_fault(command, lang)
end

return causes
