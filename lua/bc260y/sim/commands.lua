-- bc260y.sim.commands: the virtual module's AT command table (guide chapters 2-5, and the
-- 3GPP TS 27.007 commands of bc260y.sim.commands_3gpp, merged in at the end). One
-- entry per command name (AT+<NAME>), each with the forms it supports: test (a fixed line,
-- "" for a bare OK, or a function), read, exec and set(self, args). A handler returns the
-- answer lines, or nil and a CME code ("ERROR" for a plain ERROR); self is the module
-- (bc260y.sim.module), which parses the line, picks the form and prints the answer.
local commands = {}

-- Statuses in which the module holds a platform session.
local STATUS_SESSION = {REGISTERED = true, REGISTERED_AND_OBSERVED = true}

local function hex_encode(s)
  return (s:gsub(".", function(c) return ("%02X"):format(c:byte()) end))
end

local function hex_decode(h)
  return (h:gsub("%x%x", function(p) return string.char(tonumber(p, 16)) end))
end

local function unquote(s)
  local inner = s:match('^"(.*)"$')
  return inner or s
end

local function int(s, lo, hi)
  if not s or not s:match("^%d+$") or #s > 10 then return nil end
  local n = tonumber(s)
  if (lo and n < lo) or (hi and n > hi) then return nil end
  return math.tointeger(n)
end

local COMMANDS = {}

----------------------------------------------------------------------------------------
-- general commands
COMMANDS.CGMI = {exec = function(self) return {"Quectel_Ltd"} end, test = ""}
COMMANDS.CGMM = {exec = function(self) return {"BC260Y-CN"} end, test = ""}
COMMANDS.CGMR = {exec = function(self) return {"Revision: " .. self.revision} end, test = ""}

COMMANDS.QSCLK = {
  test = "+QSCLK: (0-2)",
  read = function(self) return {"+QSCLK: " .. self.qsclk} end,
  set = function(self, a)
    if #a ~= 1 then return nil, 2 end
    local n = int(a[1], 0, 2)
    if not n then return nil, 3 end
    self.qsclk = n
    return {} -- _pump runs _idle_check after the answer
  end,
}

COMMANDS.QRST = {
  test = "+QRST: 1",
  set = function(self, a)
    if #a ~= 1 then return nil, 2 end
    if int(a[1]) ~= 1 then return nil, 3 end
    self:after(0.1, function() self:_reboot("qrst") end)
    return {}
  end,
}

COMMANDS.CMEE = {
  test = "+CMEE: (0-2)",
  read = function(self) return {"+CMEE: " .. self.cmee} end,
  set = function(self, a)
    if #a ~= 1 then return nil, 2 end
    local n = int(a[1], 0, 2)
    if not n then return nil, 3 end
    self.cmee = n
    return {}
  end,
}

----------------------------------------------------------------------------------------
-- platform commands (guide chapter 2)
COMMANDS.NCDPOPEN = {
  test = "",
  set = function(self, a)
    if #a < 1 or #a > 3 then return nil, 2 end
    local host = unquote(a[1])
    if host == "" or #host > 63 or host:find('[^%w%.%-:]') then return nil, 3 end
    local port = 5683
    if a[2] and a[2] ~= "" then
      port = int(a[2], 0, 65535)
      if not port then return nil, 3 end
      if port == 0 then port = 5683 end
    end
    local psk
    if a[3] then
      psk = unquote(a[3])
      if psk == "" or #psk % 2 ~= 0 or #psk > 512 or psk:find("[^%x]") then return nil, 5 end
    end
    if self.fota then return nil, 959 end
    if self.status == "REGISTERING" then return nil, 955 end
    if STATUS_SESSION[self.status] and not self.observe_reset then return nil, 959 end
    if self.deregistering then return nil, 959 end
    if not self.attached then return nil, 957 end
    self:_start_registration(host, port, psk)
    return {}
  end,
}

COMMANDS.NCDPCLOSE = {
  test = "",
  exec = function(self)
    if self.fota then return nil, 959 end
    if self.status == "REGISTERING" then return nil, "ERROR" end
    if self.deregistering then return {} end
    if STATUS_SESSION[self.status] then
      self.deregistering = true
      self.con_pending = false
      self:_named("lifetime", nil)
      self:_named("observe", nil)
      self:_rrc_up()
      self:_named("deregister", self.t.deregister, function()
        self.deregistering = false
        self.session = nil
        self.status = "DEREGISTERED"
        self.platform:_deregister(self.imei)
        self:_idle_check()
      end)
      return {}
    end
    if self.status == "REJECTED_BY_SERVER" or self.status == "TIMEOUT"
       or self.status == "RESUMPTION_FAILED" then
      self.status = "DEREGISTERED"
      return {}
    end
    return nil, 958
  end,
}

local NMGS_TYPES = {[0] = {false, 0}, [1] = {false, 1}, [2] = {false, 2},
                    [100] = {true, 0}, [101] = {true, 1}, [102] = {true, 2}}

COMMANDS.NMGS = {
  test = "",
  set = function(self, a)
    if #a < 2 or #a > 3 then return nil, 2 end
    local len = int(a[1])
    if not len then return nil, 3 end
    local h = unquote(a[2])
    if h:find("[^%x]") then return nil, 3 end
    if #h % 2 ~= 0 then return nil, 17 end
    if len < 1 then return nil, 3 end
    if len > 1024 or #h // 2 > len then return nil, 14 end
    if #h // 2 < len then return nil, 3 end
    local ty = 0
    if a[3] then
      ty = int(a[3])
      if not ty or not NMGS_TYPES[ty] then return nil, 3 end
    end
    local con, rai = NMGS_TYPES[ty][1], NMGS_TYPES[ty][2]
    if self.fota then return nil, 959 end
    if self.status == "REGISTERING" then return nil, 955 end
    if self.status == "REGISTERED" or self.deregistering then return nil, 959 end
    if self.status ~= "REGISTERED_AND_OBSERVED" then return nil, 954 end
    if not self.attached then return nil, 957 end
    if con and self.con_pending then return nil, 959 end
    self:_uplink(hex_decode(h), con, rai, ty)
    return {}
  end,
}

COMMANDS.NMGR = {
  test = "",
  exec = function(self)
    if self.fota then return nil, 959 end
    local data = table.remove(self.buffer, 1)
    if not data then return {} end
    self.buffer_bytes = self.buffer_bytes - #data
    return {("+NMGR: %d,%s"):format(#data, hex_encode(data))}
  end,
}

COMMANDS.NNMI = {
  test = "+NNMI: (0-2)",
  read = function(self) return {"+NNMI: " .. self.nnmi} end,
  set = function(self, a)
    if #a ~= 1 then return nil, 2 end
    local n = int(a[1], 0, 2)
    if not n then return nil, 3 end
    self.nnmi = n
    return {}
  end,
}

COMMANDS.NCFG = {
  test = "+NCFG: 0,(0-2592000)",
  set = function(self, a)
    if #a < 1 or #a > 2 then return nil, 2 end
    if int(a[1]) ~= 0 then return nil, 3 end
    if not a[2] then return {"+NCFG: " .. self.nvram.lifetime} end
    local v = int(a[2], 0, 2592000)
    if not v then return nil, 3 end
    if v >= 1 and v < 900 then v = 900 end
    self.nvram.lifetime = v
    return {}
  end,
}

COMMANDS.NMSTATUS = {test = "", read = function(self) return {"+NMSTATUS: " .. self.status} end}

COMMANDS.QLWULDATASTATUS = {
  test = "",
  read = function(self) return {"+QLWULDATASTATUS: " .. self.uldata} end,
}

COMMANDS.NQMGR = {
  test = "",
  exec = function(self)
    return {("BUFFERED=%d,RECEIVED=%d,DROPPED=%d"):format(#self.buffer, self.received,
                                                          self.dropped)}
  end,
}

-- the 3GPP TS 27.007 commands (identities, signal, registration, contexts, PSM, clock)
require("bc260y.sim.commands_3gpp").install(COMMANDS, {int = int, unquote = unquote})

commands.COMMANDS = COMMANDS
commands.STATUS_SESSION = STATUS_SESSION
commands.hex_encode, commands.hex_decode = hex_encode, hex_decode

return commands
