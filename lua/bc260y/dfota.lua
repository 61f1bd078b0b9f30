-- bc260y.dfota: the DFOTA procedure of the guide's chapter 5 as a state machine over a
-- Modem. The platform drives the update; the host's part is to keep out of its way and
-- to register again at the end, in the order of the guide's sessions (5.1.6.2, 5.2.5):
--   AT+CGPADDR? (attached), QSCLK=0 (deep sleep off before any DFOTA work, guide 5.3.3),
--   NCFG (lifetime, if given), NCDPOPEN -> registered and observed -> the job starts
--   (+QLWEVTIND: 8, at registration or after uplinks: trigger) -> DOWNLOAD START ->
--   DOWNLOADING,<bytes> ... -> DOWNLOAD,0 -> START -> UPDATING,<n>% ... -> END,0 -> the
--   module reboots by itself (any boot marker: the guide prints only +CPIN: READY) ->
--   QSCLK=0, AT+CGPADDR?, NCFG, NCDPOPEN with the same parameters -> +QLWEVTIND: 3 ->
--   +QLWEVTIND: 9 (the platform read the result and cancelled the /5/0/3 observation)
--   -> init again (echo off, numeric errors, the new revision): done.
-- A job whose +QLWEVTIND: 8 and DOWNLOAD START were missed is followed from its first
-- FOTA line (the 5.1.6.2 session starts at DOWNLOADING). DOWNLOAD,2/4/9 and END,<n != 0>
-- end the job; normal work resumes at once. From the first FOTA line until the update
-- ends (the reboot after END,0) the Modem refuses every command with code "busy" (the
-- guide's rule, README.md), and this module sends nothing, never resets the module and
-- never powers it off.
--
--   local dfota = require("bc260y.dfota")
--   local r = dfota.run(m, {host = "221.229.214.202", port = 5683, lifetime = 86400,
--                           on_stage = function(stage, value, r) ... end})
--   r.ok, r.outcome ("updated" | "unconfirmed" | "download_failed" | "update_failed" |
--   "interrupted" | "no_job" | "timeout" | "error"), r.reason, r.code, r.stages
--   ({stage=, value=, time=}...), r.timings (host seconds), r.bytes, r.percent,
--   r.revision_before, r.revision_after
--
--   local job = dfota.new(m, opts)  -- listens from now on (nothing is missed), sends nothing
--   job:run()                       -- one procedure; may be called again for a later job
--   job:close()                     -- stops listening
--   dfota.trigger(m, opts)          -- uplinks until a job starts: true, tries | nil, msg, code
--
-- Stages reported to on_stage, in order: "registered" (our own registration), "observed"
-- (+QLWEVTIND: 8), "download_start", "downloading" (bytes so far), "downloaded",
-- "download_failed" (error code), "update_start", "updating" (percent), "ended" (END
-- code), "rebooted", "reregistered", "unobserved" (+QLWEVTIND: 9), then "done" (outcome).
-- Timeouts are in module seconds (the virtual module's time scale applies, as for every
-- wait of the Modem).
-- It uses only the Modem's public calls (README.md): set_busy, listen, wait_for, state
-- and info besides the data calls, and the Modem's progress watch (open()'s progress option).
local core = require("bc260y.core")
local loop = require("bc260y.loop")
local trace = require("bc260y.trace")
local options = require("bc260y.options")
local i18n = require("bc260y.i18n")

local now = loop.now

local dfota = {}

-- The guide's error codes for DOWNLOAD,<err> and END,<err> (chapter 3.6 / 3.9).
dfota.DOWNLOAD_ERRORS = {
  [2] = "out of memory",
  [4] = "the download link was lost",
  [9] = "invalid package URI",
}
dfota.END_ERRORS = {[255] = "the update failed"}

-- The text of a DOWNLOAD,<err> or END,<err> code in the reader's language: a code the
-- guide names has its own message (lib.fota_<kind>_<code>), any other the generic one.
local function fota_error(kind, v)
  local known = (kind == "download" and dfota.DOWNLOAD_ERRORS or dfota.END_ERRORS)[v]
  return i18n.t(known and ("lib.fota_%s_%s"):format(kind, tostring(v)) or "lib.fota_error")
end

local DEFAULTS = {
  start_wait = 10,       -- after registration, wait this long for the job before triggering
  stall_timeout = 300,   -- longest silence between two FOTA lines while a job runs
  attach_timeout = 60,   -- AT+CGPADDR? until the module has an address
  reboot_timeout = 120,  -- END,0 to the boot banner
  register_tries = 3,    -- re-registration attempts after the update
  result_timeout = 120,  -- re-registered to +QLWEVTIND: 9
}

local TRIGGER_DEFAULTS = {data = "\0", con = false, rai = 0, tries = 3, wait = 30}

-- The checks below raise with no position (level 0); the public calls catch them and
-- raise again at their caller's line, so a message carries one position, the caller's.
local function check_number(v, name, default)
  if v == nil then return default end
  if type(v) ~= "number" or not (v > 0) then
    error(("dfota: %s must be a number > 0"):format(name), 0)
  end
  return v
end

local function check_trigger(t)
  if t == false then return false end
  if t == nil then t = {} end
  if type(t) ~= "table" then error("dfota: trigger must be a table or false", 0) end
  local out = {}
  for k, v in pairs(TRIGGER_DEFAULTS) do out[k] = v end
  for k, v in pairs(t) do
    if TRIGGER_DEFAULTS[k] == nil then error(("dfota: unknown trigger option '%s'"):format(tostring(k)), 0) end
    out[k] = v
  end
  if type(out.data) ~= "string" or #out.data < 1 or #out.data > 1024 then
    error("dfota: trigger data must be 1..1024 bytes", 0)
  end
  if type(out.con) ~= "boolean" then error("dfota: trigger con must be a boolean", 0) end
  if math.type(out.rai) ~= "integer" or out.rai < 0 or out.rai > 2 then
    error("dfota: trigger rai must be 0, 1 or 2", 0)
  end
  if math.type(out.tries) ~= "integer" or out.tries < 1 then
    error("dfota: trigger tries must be a positive integer", 0)
  end
  check_number(out.wait, "trigger wait", 1)
  return out
end

local KNOWN = {host = true, port = true, psk = true, lifetime = true, trigger = true,
               on_stage = true, start_wait = true, stall_timeout = true,
               reboot_timeout = true, register_tries = true, result_timeout = true,
               attach_timeout = true,
               connect_timeout = true}

local function check_options(opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then error("dfota: options must be a table", 0) end
  for k in pairs(opts) do
    if not KNOWN[k] then error(("dfota: unknown option '%s'"):format(tostring(k)), 0) end
  end
  local o = {}
  if options.host_problem(opts.host) then
    -- Needed to register again after the update's reboot (guide 5.3.2.2).
    error("dfota: host must be the platform address the device registers with", 0)
  end
  o.host, o.psk = opts.host, opts.psk
  o.port = options.check_port(opts.port, "dfota", 0)
  -- lifetime and psk: checked by the C builders of AT+NCFG and AT+NCDPOPEN, the one place
  -- each rule lives, before the procedure starts.
  if opts.lifetime ~= nil then
    local ok, err = pcall(core.build.ncfg, opts.lifetime)
    if not ok then error("dfota: lifetime: " .. tostring(err), 0) end
  end
  if opts.psk ~= nil then
    local ok, err = pcall(core.build.ncdpopen, opts.host, opts.port, opts.psk)
    if not ok then error("dfota: " .. trace.scrub(err, type(opts.psk) == "string" and opts.psk or nil), 0) end
  end
  o.lifetime = opts.lifetime
  if opts.on_stage ~= nil and type(opts.on_stage) ~= "function" then
    error("dfota: on_stage must be a function", 0)
  end
  o.on_stage = opts.on_stage
  for k, v in pairs(DEFAULTS) do o[k] = check_number(opts[k], k, v) end
  if math.type(o.register_tries) ~= "integer" then error("dfota: register_tries must be an integer", 0) end
  o.connect_timeout = opts.connect_timeout and check_number(opts.connect_timeout, "connect_timeout")
  o.trigger = check_trigger(opts.trigger)
  return o
end

---------------------------------------------------------------------------------------
-- The events that matter here, from the Modem's listener (m:listen).

local function wanted(ev)
  return ev.kind == "fota" or ev.kind == "qlwevtind" or ev.kind == "reboot"
end

-- The job's first event: +QLWEVTIND: 8, or any FOTA line (DOWNLOAD START, or DOWNLOADING,
-- START, UPDATING... when the earlier ones were missed).
local function started(ev)
  return (ev.kind == "qlwevtind" and ev.value == 8) or ev.kind == "fota"
end

local function listen(m) return m:listen(wanted) end

-- +QLWEVTIND: 9: the platform read the result and cancelled the /5/0/3 observation.
local function unobserved(ev) return ev.kind == "qlwevtind" and ev.value == 9 end

-- Why a closed Modem closed (nil, message, code): its waits say it at once.
local function closed_error(m) return m:wait_for(function() return false end) end

-- Sends uplinks until a start event is in queue (m:listen's) or `t.tries` uplinks went
-- unanswered.
local function trigger_with(m, queue, t)
  for i = 1, t.tries do
    if queue:find(started) then return true, i - 1 end
    local ok, msg, code = m:send(t.data, {con = t.con, rai = t.rai})
    if not ok then
      if code == "busy" and queue:find(started) then return true, i end
      return nil, i18n.t("lib.trigger_failed", i, tostring(msg)), code
    end
    ok, msg, code = m:wait_for(function() return queue:find(started) end, t.wait)
    if ok then return true, i end
    if code ~= "timeout" then return nil, msg, code end
  end
  return nil, i18n.t("lib.no_job", t.tries), "timeout"
end

-- dfota.trigger(m, opts) -> true, uplinks_sent | nil, msg, code
--   opts: data (bytes to send, default "\0": use the device's normal report), con, rai,
--   tries (3), wait (module seconds after each uplink, 30).
function dfota.trigger(m, opts)
  local checked, t = pcall(check_trigger, opts or {})
  if not checked then error(t, 2) end
  if not t then error("dfota.trigger: options must be a table", 2) end
  local queue = listen(m)
  local ok, msg_or_sent, code = trigger_with(m, queue, t)
  queue:close()
  return ok, msg_or_sent, code
end

---------------------------------------------------------------------------------------
-- The procedure

local Job = {}
Job.__index = Job

function dfota.new(m, opts)
  if type(m) ~= "table" or type(m.on) ~= "function" then error("dfota.new: expects a Modem", 2) end
  local checked, o = pcall(check_options, opts)
  if not checked then error(o, 2) end
  local self = setmetatable({m = m, opts = o, state = "idle"}, Job)
  self.listener = listen(m)
  return self
end

function Job:close()
  if self.listener then self.listener:close() end
  self.listener = nil
  if self.busy then self:_busy(nil) end
end

function Job:_busy(reason)
  self.busy = reason
  self.m:set_busy(reason)
end

-- The Modem's progress (open()'s progress option) of the two long stages: the download
-- (value: bytes so far) and the update (value: percent), each from its start line to
-- its end line; a job that ends otherwise ends the open one as failed.
local WATCHED = {download_start = "progress.fota_download", downloading = "progress.fota_download",
                 update_start = "progress.fota_update", updating = "progress.fota_update"}
local STARTS = {download_start = true, update_start = true}
local WATCH_END = {downloaded = true, download_failed = false, ended = "code", done = false}

function Job:_watch(stage, value)
  local what = WATCHED[stage]
  -- (a job followed from a later line starts its watch there)
  if what and (STARTS[stage] or not self.watch) then
    if self.watch then self.watch:finish(false) end
    self.watch = self.m:progress_watch(what, nil)
  end
  local w = self.watch
  if not w then return end
  if what and not STARTS[stage] then
    w:update(value)
  elseif WATCH_END[stage] ~= nil then
    local ok = WATCH_END[stage]
    if ok == "code" then ok = value == 0 end
    w:finish(ok)
    self.watch = nil
  end
end

function Job:_stage(stage, value)
  self:_watch(stage, value)
  local r = self.result
  local t = now()
  r.stages[#r.stages + 1] = {stage = stage, value = value, time = t - r.started}
  r.at[stage] = r.at[stage] or t
  if self.opts.on_stage then
    local ok, err = pcall(self.opts.on_stage, stage, value, r)
    if not ok then io.stderr:write("bc260y.dfota: ", i18n.t("lib.on_stage_failed", tostring(err)), "\n") end
  end
end

function Job:_finish(outcome, reason, code)
  local r = self.result
  if self.busy then self:_busy(nil) end -- normal work resumes
  self.state = "done"
  r.outcome, r.reason, r.code = outcome, reason, code
  r.ok = outcome == "updated"
  local at = r.at
  local function span(a, b) if at[a] and at[b] then return at[b] - at[a] end end
  r.timings = {
    wait = span("begin", "observed") or span("begin", "download_start"),
    download = span("download_start", "downloaded"),
    update = span("update_start", "ended"),
    reboot = span("ended", "rebooted"),
    reregister = span("rebooted", "reregistered"),
    confirm = span("reregistered", "unobserved"),
    total = now() - r.started,
  }
  self:_stage("done", outcome)
  return r
end

-- Registration as the guide's sessions do it: first AT+CGPADDR? then deep sleep off
-- (5.2.5), after the update's reboot deep sleep off then AT+CGPADDR? (5.1.6.2, 5.2.5);
-- then the lifetime if given, NCDPOPEN, and wait for +QLWEVTIND: 3. After the reboot the
-- guide sends nothing else before registering (no ATE0): the engine drops an echo, and
-- init runs once the platform has read the result (Job:_restore).
function Job:_register(after_reboot)
  local m, o = self.m, self.opts
  local ok, msg, code
  if not after_reboot and not m:info() then
    -- Never initialised by the application (the module may still be booting): sync,
    -- echo off, numeric errors; the address comes next.
    local info
    info, msg, code = m:init{attach = false}
    if not info then return nil, i18n.t("lib.init_failed", tostring(msg)), code end
    self.result.revision_before = info.revision
  end
  if after_reboot then
    ok, msg, code = m:sleep_mode("off")
    if not ok then return nil, i18n.t("lib.qsclk_failed", tostring(msg)), code end
  end
  ok, msg, code = m:wait_ip{timeout = o.attach_timeout}
  if not ok then return nil, i18n.t("lib.dfota_no_ip", tostring(msg)), code end
  if not after_reboot then
    ok, msg, code = m:sleep_mode("off")
    if not ok then return nil, i18n.t("lib.qsclk_failed", tostring(msg)), code end
  end
  if o.lifetime then
    ok, msg, code = m:set_lifetime(o.lifetime)
    if not ok then return nil, i18n.t("lib.ncfg_failed", tostring(msg)), code end
  end
  if m:state().observed then return true end
  ok, msg, code = m:connect{host = o.host, port = o.port, psk = o.psk, timeout = o.connect_timeout}
  if ok then return true end
  if code == "state" then
    -- Somebody else (the application's own reboot handler) registers at the same time:
    -- their registration is as good as ours.
    if m:wait_for(function() return m:state().observed end, o.connect_timeout or 126) then
      return true
    end
  end
  return nil, msg, code
end

-- Waits for the next event while a job runs; silence longer than stall_timeout ends it.
function Job:_next()
  return self.listener:next(self.opts.stall_timeout)
end

-- Follows the job from its first event to END / a download error / a reboot.
-- Returns "ended", code | "failed", outcome, reason, code | "rebooted" | nil, why.
function Job:_follow()
  local m = self.m
  local r = self.result
  while true do
    local ev, msg, code = self:_next()
    if not ev then return nil, msg, code end
    if ev.kind == "reboot" then
      return "rebooted"
    elseif ev.kind == "qlwevtind" then
      if ev.value == 8 then
        self.state = "observed"
        self:_stage("observed")
      end
    elseif ev.kind == "fota" then
      local s, v = ev.stage, ev.value
      if s == "download_start" then
        -- From here until the update ends: no data commands, no reset, no power-off.
        self:_busy(i18n.t("lib.dfota_downloading"))
        self.state = "downloading"
        self:_stage("download_start")
      elseif s == "downloading" then
        if not self.busy then self:_busy(i18n.t("lib.dfota_downloading")) end
        self.state = "downloading"
        r.bytes = v
        self:_stage("downloading", v)
      elseif s == "download" then
        if v == 0 then
          self:_busy(i18n.t("lib.dfota_updating"))
          self.state = "downloaded"
          self:_stage("downloaded")
        else
          self:_stage("download_failed", v)
          return "failed", "download_failed",
            i18n.t("lib.download_failed", fota_error("download", v), tostring(v)), "fota"
        end
      elseif s == "start" then
        self:_busy(i18n.t("lib.dfota_updating"))
        self.state = "updating"
        self:_stage("update_start")
      elseif s == "updating" then
        self.state = "updating"
        r.percent = v
        self:_stage("updating", v)
      elseif s == "end" then
        self:_stage("ended", v)
        if v == 0 then return "ended", 0 end
        return "failed", "update_failed",
          i18n.t("lib.update_failed", fota_error("end", v), tostring(v)), "fota"
      end
    end
    if m:state().closed then return closed_error(m) end
  end
end

-- After the update's reboot (or an interrupted one): register again, then wait for the
-- platform to read the result and cancel the /5/0/3 observation.
function Job:_reregister_and_confirm(wait_result)
  local m, o = self.m, self.opts
  self.state = "reregistering"
  local ok, msg, code
  for _ = 1, o.register_tries do
    ok, msg, code = self:_register(true)
    if ok or m:state().closed then break end
  end
  if not ok then return nil, msg, code end
  self:_stage("reregistered")
  if not wait_result then return true end
  self.state = "confirming"
  local queue = self.listener
  ok, msg, code = m:wait_for(function() return queue:find(unobserved) end, o.result_timeout)
  if not ok then
    if code ~= "timeout" then return nil, msg, code end
    return true, false
  end
  queue:skip_to(unobserved)
  queue:next(0)
  self:_stage("unobserved")
  return true, true
end

function Job:run()
  local m, o = self.m, self.opts
  if not self.listener then error("dfota: this job is closed", 2) end
  if self.state ~= "idle" and self.state ~= "done" then error("dfota: run is already running", 2) end
  local info = m:info()
  local revision = info and info.revision
  self.result = {stages = {}, at = {}, started = now(), revision_before = revision}
  self.result.at.begin = self.result.started
  local mode = m:state().receive_mode
  self.state = "registering"

  -- 1. Deep sleep off, registered and observed (guide 5.3.3, 5.2.5).
  local ok, msg, code = self:_register(false)
  if not ok then return self:_finish("error", msg, code) end
  self:_stage("registered")

  -- 2. Wait for the job; trigger it with uplinks when it does not come by itself.
  self.state = "waiting"
  local queue = self.listener
  local waited, wmsg, wcode = m:wait_for(function() return queue:find(started) end, o.start_wait)
  if not waited and wcode ~= "timeout" then return self:_finish("error", wmsg, wcode) end
  if not waited then
    if not o.trigger then
      return self:_finish("no_job", i18n.t("lib.no_job_within", o.start_wait), "timeout")
    end
    local sent
    ok, sent, code = trigger_with(m, queue, o.trigger)
    if not ok then
      return self:_finish(code == "timeout" and "no_job" or "error", sent, code)
    end
    self.result.trigger_uplinks = sent
  end

  -- 3. Follow it.
  queue:skip_to(started)
  local how, outcome, reason, ecode = self:_follow()
  if how == nil then
    -- outcome, reason: the wait's message and code
    if reason ~= "timeout" then return self:_finish("error", outcome, reason) end
    return self:_finish("timeout", i18n.t("lib.no_progress",
      o.stall_timeout, self.state), "timeout")
  end
  if how == "failed" then return self:_finish(outcome, reason, ecode) end

  local interrupted = false
  if how == "ended" then
    -- 4. END,0: the module reboots by itself. Stay busy until it has.
    self.state = "rebooting"
    local ev, wmsg, wcode
    repeat
      ev, wmsg, wcode = self.listener:next(o.reboot_timeout)
    until not ev or ev.kind == "reboot"
    if not ev then
      if wcode ~= "timeout" then return self:_finish("error", wmsg, wcode) end
      return self:_finish("timeout", i18n.t("lib.no_reboot", o.reboot_timeout), "timeout")
    end
  else
    -- A reboot with no END line: power lost or a reset in the middle of the job.
    interrupted = self.state
  end
  self:_stage("rebooted")
  self:_busy(nil)

  -- 5. Register again so the module reports the result; the platform then cancels the
  -- /5/0/3 observation. After an interrupted download there is no result to report.
  local confirmed
  ok, confirmed, code = self:_reregister_and_confirm(not interrupted or interrupted == "updating")
  if not ok then return self:_finish("error", i18n.t("lib.register_again_failed", tostring(confirmed)), code) end
  -- 6. The module's settings are back to their boot values: init again (echo off,
  -- numeric errors, the new revision), then the receive mode as it was.
  local info, imsg, icode = m:init()
  if not info then return self:_finish("error", i18n.t("lib.init_after_update", tostring(imsg)), icode) end
  self.result.revision_after = info.revision
  if mode and m:state().receive_mode ~= mode then
    local rok, rmsg, rcode = m:set_receive_mode(mode)
    if not rok then return self:_finish("error", i18n.t("lib.receive_mode_failed", tostring(rmsg)), rcode) end
  end
  if interrupted then
    return self:_finish("interrupted", i18n.t("lib.interrupted",
      interrupted), "reboot")
  end
  if not confirmed then
    return self:_finish("unconfirmed", i18n.t("lib.unconfirmed",
      o.result_timeout), "timeout")
  end
  return self:_finish("updated")
end

-- dfota.run(m, opts) -> result: one whole procedure with a fresh listener.
function dfota.run(m, opts)
  if type(m) ~= "table" or type(m.on) ~= "function" then error("dfota.run: expects a Modem", 2) end
  local ok, job = pcall(dfota.new, m, opts)
  if not ok then error(job, 2) end
  local r = table.pack(pcall(job.run, job))
  job:close()
  if not r[1] then error(r[2], 0) end
  return r[2]
end

return dfota
