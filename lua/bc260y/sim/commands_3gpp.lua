-- bc260y.sim.commands_3gpp: the virtual module's everyday 3GPP TS 27.007 commands, the
-- ones any tutorial types before the guide's platform commands: identities (CGSN, CIMI,
-- QCCID), signal (CSQ, CESQ), registration and attach (CEREG, CSCON, CGATT, CFUN, CPIN),
-- PDP contexts (CGDCONT, CGPADDR), power saving (CPSMS, CEDRXS, CEDRXRDP) and the clock
-- (CCLK).
-- Same table shape as bc260y.sim.commands, which merges these entries into its own.
-- Every value follows the module's state (bc260y.sim.module): what it is attached to,
-- registered with, sleeping by and what survives a reboot. The choices 27.007 leaves open:
-- * CEREG <stat>: 0 before the SIM is ready and after a detach (CFUN=0, CGATT=0), 2 while
--   attaching, 1 attached, 3 denied (faults:attach_reject). Location fields (<tac>, <ci>,
--   <AcT> 9 = NB-IoT) only while registered or denied; n=3/5 add the reject cause
--   (<cause_type> 0, EMM) when denied; n=4/5 the granted Active Time (T3324) and periodic
--   TAU (T3412 extended) as 27.007 8-bit timer strings when registered (n=5's cause
--   fields then empty). The query answer is the URC with <n> in front, so it has one
--   field more than any URC (core/bc260y_urc.c tells them apart so).
-- * The network grants what AT+CPSMS requested, as a network usually does, and the module
--   sleeps by it: its Active Time after the RRC release and its periodic TAU. Until the
--   host requests timers (and after AT+CPSMS=2) it grants the ones the module's timings
--   give (timings.psm_active and .tau, rounded up to the timer's resolution). With
--   AT+CPSMS=0 no PSM is granted (Active Time "11100000", deactivated) and the module never
--   enters deep sleep. AT+CPSMS and AT+CEDRXS values are stored as set (in NVRAM, as the
--   PDP contexts are) and returned by the read form; eDRX changes only the energy
--   account's paging in idle (bc260y.sim.energy).
-- * AT+CGATT=1 and AT+CFUN=1 attach after timings.attach; AT+CGATT=1 at CFUN 0, and a
--   change to context 0 (the one the attach uses) while attached or attaching: ERROR.
-- * AT+CCLK? is the start wall time (sim.new's utc, default the host's clock) plus module
--   seconds, as local time with the zone in quarter hours (27.007: "yy/MM/dd,hh:mm:ss±zz",
--   default +32, China). Setting the clock is not supported (ERROR).
-- * The ICCID is 20 digits: 19 (8986 11 for China Telecom, then the card's number) and a
--   Luhn check digit; the IMSI 15 digits, 460 11 and a 10-digit MSIN.
local timers = require("bc260y.timers3gpp")

local M = {}

-- Where the virtual cell is: tracking area and E-UTRAN cell id (hex strings, 27.007).
M.TAC, M.CELL = "5A0F", "0C2B3A67"

-- 27.007 8-bit timer strings (3GPP TS 24.008 GPRS Timer 2 and 3, bc260y.timers3gpp): the
-- smallest time at least the one given; beyond the largest, the largest.
M.DEACTIVATED = timers.DEACTIVATED
function M.timer3(seconds) return timers.encode_tau(seconds) or "11011111" end -- periodic TAU (T3412 ext)
function M.timer2(seconds) return timers.encode_active(seconds) or "01011111" end -- Active Time (T3324)

-- Adds the commands to COMMANDS; u: bc260y.sim.commands' parsing helpers (int, unquote).
function M.install(COMMANDS, u)
  local int, unquote = u.int, u.unquote

  ----------------------------------------------------------------------------------------
  -- identities
  COMMANDS.CGSN = {
    test = "+CGSN: (0-3)",
    exec = function(self) return {self.sn} end,
    set = function(self, a)
      if #a ~= 1 then return nil, 2 end
      local n = int(a[1], 0, 3)
      if not n then return nil, 3 end
      if n == 0 then return {self.sn} end
      if n == 1 then return {"+CGSN: " .. self.imei} end
      if n == 2 then return {"+CGSN: " .. self.imei:sub(1, 14) .. "01"} end -- IMEISV
      return {"+CGSN: 01"} -- the software version number
    end,
  }
  COMMANDS.CIMI = {test = "", exec = function(self) return {self.imsi} end}
  COMMANDS.QCCID = {test = "", exec = function(self) return {"+QCCID: " .. self.iccid} end}
  COMMANDS.CPIN = {test = "", read = function() return {"+CPIN: READY"} end}

  ----------------------------------------------------------------------------------------
  -- signal: CSQ <rssi> 0..31 is -113 + 2n dBm; CESQ gives the NB-IoT cell's RSRP (the
  -- RSSI less 11 dB: one resource block of 12 subcarriers) and RSRQ (-10 dB), and 99/255
  -- for the GSM and UMTS fields; all "unknown" while not attached.
  COMMANDS.CSQ = {
    test = "+CSQ: (0-31,99),(99)",
    exec = function(self)
      if not self.attached then return {"+CSQ: 99,99"} end
      return {("+CSQ: %d,0"):format(self.rssi)}
    end,
  }
  COMMANDS.CESQ = {
    test = "+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)",
    exec = function(self)
      if not self.attached then return {"+CESQ: 99,99,255,255,255,255"} end
      local rsrp_dbm = -113 + 2 * self.rssi - 11
      local rsrp = math.max(0, math.min(97, rsrp_dbm + 141))
      return {("+CESQ: 99,99,255,255,20,%d"):format(rsrp)}
    end,
  }

  ----------------------------------------------------------------------------------------
  -- registration, attach, functionality
  COMMANDS.CEREG = {
    test = "+CEREG: (0-5)",
    read = function(self) return {("+CEREG: %d,%s"):format(self.cereg_n, self:_cereg_fields(
      math.max(self.cereg_n, 1)))} end,
    set = function(self, a)
      if #a ~= 1 then return nil, 2 end
      local n = int(a[1], 0, 5)
      if not n then return nil, 3 end
      self.cereg_n = n
      return {}
    end,
  }

  COMMANDS.CSCON = {
    test = "+CSCON: (0,1)",
    read = function(self) return {("+CSCON: %d,%d"):format(self.cscon_n, self.rrc)} end,
    set = function(self, a)
      if #a ~= 1 then return nil, 2 end
      local n = int(a[1], 0, 1)
      if not n then return nil, 3 end
      self.cscon_n = n
      return {}
    end,
  }

  COMMANDS.CGATT = {
    test = "+CGATT: (0,1)",
    read = function(self) return {"+CGATT: " .. (self.attached and 1 or 0)} end,
    set = function(self, a)
      if #a ~= 1 then return nil, 2 end
      local n = int(a[1], 0, 1)
      if not n then return nil, 3 end
      if n == 0 then
        self:_detach()
      elseif self.cfun ~= 1 then
        return nil, "ERROR"
      elseif not self.attached and self.cereg_stat ~= 2 then
        self:_start_attach() -- again after a denial too
      end
      return {}
    end,
  }

  COMMANDS.CFUN = {
    test = "+CFUN: (0,1),(0)",
    read = function(self) return {"+CFUN: " .. self.cfun} end,
    set = function(self, a)
      if #a < 1 or #a > 2 then return nil, 2 end
      local n = int(a[1], 0, 1)
      if not n or (a[2] and int(a[2], 0, 0) == nil) then return nil, 3 end
      if n == self.cfun then return {} end
      self.cfun = n
      if n == 0 then self:_detach() else self:_start_attach() end
      return {}
    end,
  }

  ----------------------------------------------------------------------------------------
  -- PDP contexts: kept in NVRAM (self.nvram.contexts[cid] = {type=, apn=}); the attach
  -- activates context 0.
  local PDP_TYPES = {IP = true, IPV6 = true, IPV4V6 = true, ["NON-IP"] = true}
  COMMANDS.CGDCONT = {
    test = '+CGDCONT: (0-10),("IP","IPV6","IPV4V6","Non-IP")',
    read = function(self)
      local lines = {}
      for cid = 0, 10 do
        local c = self.nvram.contexts[cid]
        if c then lines[#lines + 1] = ('+CGDCONT: %d,"%s","%s",,0,0'):format(cid, c.type, c.apn) end
      end
      return lines
    end,
    set = function(self, a)
      if #a < 1 or #a > 12 then return nil, 2 end
      local cid = int(a[1], 0, 10)
      if not cid then return nil, 3 end
      local c
      if a[2] then
        local ty = unquote(a[2])
        if not PDP_TYPES[ty:upper()] then return nil, 3 end
        local apn = a[3] and unquote(a[3]) or ""
        if #apn > 62 or apn:find("[^%w%.%-]") then return nil, 3 end
        c = {type = ty:upper() == "NON-IP" and "Non-IP" or ty:upper(), apn = apn}
      end
      if cid == 0 and (self.attached or self.cereg_stat == 2) then return nil, "ERROR" end
      self.nvram.contexts[cid] = c
      return {}
    end,
  }

  local function cgpaddr(self)
    if not self.attached then return {} end
    return {('+CGPADDR: 0,"%s"'):format(self.ip)}
  end
  COMMANDS.CGPADDR = {
    test = "+CGPADDR: (0)", exec = cgpaddr, read = cgpaddr,
    set = function(self, a)
      if #a ~= 1 then return nil, 2 end
      if int(a[1]) ~= 0 then return nil, 3 end
      return cgpaddr(self)
    end,
  }

  ----------------------------------------------------------------------------------------
  -- power saving: stored as set (self.nvram.psm, self.nvram.edrx)
  local function timer_arg(s)
    if s == nil or s == "" then return nil end
    local v = unquote(s)
    if not v:match("^[01][01][01][01][01][01][01][01]$") then return false end
    return v
  end

  COMMANDS.CPSMS = {
    test = '+CPSMS: (0-2),,,("00000000"-"11111111"),("00000000"-"11111111")',
    read = function(self)
      local p = self.nvram.psm
      return {('+CPSMS: %d,,,"%s","%s"'):format(p.mode, p.tau, p.active)}
    end,
    set = function(self, a)
      if #a > 5 then return nil, 2 end
      local mode = a[1] == "" and 2 or int(a[1], 0, 2) -- "AT+CPSMS=": 27.007's reset form
      if not mode then return nil, 3 end
      local tau, active = timer_arg(a[4]), timer_arg(a[5])
      if tau == false or active == false then return nil, 3 end
      local d = self:_psm_default()
      if mode == 2 then
        self.nvram.psm = {mode = 0, tau = d.tau, active = d.active}
      else
        -- (requested: the network grants these; the module sleeps by them)
        local p = self.nvram.psm
        self.nvram.psm = {mode = mode, tau = tau or (p.requested and p.tau) or d.tau,
          active = active or (p.requested and p.active) or d.active,
          requested = (tau or active or p.requested) and true or nil}
      end
      return {} -- _pump runs _idle_check after the answer: PSM off cancels the sleep timer
    end,
  }

  COMMANDS.CEDRXS = {
    test = '+CEDRXS: (0,1,3),(5),("0000"-"1111")',
    read = function(self)
      local e = self.nvram.edrx
      if e.mode ~= 1 then return {} end
      return {('+CEDRXS: 5,"%s"'):format(e.value)}
    end,
    set = function(self, a)
      if #a > 3 then return nil, 2 end
      local mode = a[1] == "" and 3 or int(a[1], 0, 3) -- "AT+CEDRXS=": disable, defaults
      if not mode or mode == 2 then return nil, 3 end
      if a[2] and a[2] ~= "" and int(a[2]) ~= 5 then return nil, 3 end -- 5: NB-IoT
      local value = a[3] and unquote(a[3])
      if value and not value:match("^[01][01][01][01]$") then return nil, 3 end
      if mode == 3 then
        self.nvram.edrx = {mode = 0, value = M.EDRX_DEFAULT}
      else
        self.nvram.edrx = {mode = mode, value = value or self.nvram.edrx.value}
      end
      self:_edrx_changed() -- the energy account pages at the new cycle
      return {}
    end,
  }

  -- What the network granted (27.007 +CEDRXRDP: <AcT-type>,<requested>,<NW-provided>,
  -- <paging time window>): while attached with eDRX on, the cycle requested, as a network
  -- usually grants it, and a 10.24 s window; otherwise 0, eDRX not used.
  COMMANDS.CEDRXRDP = {
    test = "",
    exec = function(self)
      local e = self.nvram.edrx
      if e.mode ~= 1 or not self.attached then return {"+CEDRXRDP: 0"} end
      return {('+CEDRXRDP: 5,"%s","%s","0011"'):format(e.value, e.value)}
    end,
  }

  ----------------------------------------------------------------------------------------
  -- the clock
  COMMANDS.CCLK = {
    test = "",
    read = function(self)
      local tz = self.tz
      local t = math.floor(self.utc + self.clock:now()) + tz * 900
      return {('+CCLK: "%s%s%02d"'):format(os.date("!%y/%m/%d,%H:%M:%S", t),
                                          tz < 0 and "-" or "+", math.abs(tz))}
    end,
  }
end

M.EDRX_DEFAULT = "0101" -- 81.92 s

return M
