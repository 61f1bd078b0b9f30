-- bc260y.sim.fota: the module side of a DFOTA job (guide chapter 5): what the module
-- prints, in which order and at which pace, for a job the virtual platform started, and
-- each failure the guide names (DOWNLOAD 2/4/9, END 255, power lost while updating).
--   +QLWEVTIND: 8 -> DOWNLOAD START -> DOWNLOADING,<bytes> ... -> DOWNLOAD,0 -> START ->
--   UPDATING,<n>%,1,1 ... 100% -> END,0 -> reboot (only +CPIN: READY, as the guide prints
--   it) -> the host registers again ->
--   +QLWEVTIND: 3 -> +QLWEVTIND: 9 (the platform cancels the /5/0/3 observation).
-- While a job runs (m.fota ~= nil) the module refuses data commands and does not sleep.
local fota = {}

local function q(s) return '+QIND: "FOTA",' .. s end

local function finish_failed(m, job, result, line)
  if line then m:_urc(line) end
  job.state, job.result = "failed", result
  m.platform:_fota_event(job, "failed", {result = result})
  m.fota = nil
  m:_downlinks_ready()
  m:_idle_check()
end

local function update_step(m, job, pct)
  local t = m.t
  m:_urc(q(('"UPDATING",%d%%,1,1'):format(pct)))
  job.progress = pct
  if job.fail == "end_255" and pct >= 50 then
    m:after(t.fota_update_time, function()
      finish_failed(m, job, "end_255", q('"END",255'))
    end)
  elseif job.fail == "power_loss" and pct >= 50 then
    -- Power goes away half way: no END line, the module boots the old firmware.
    m:after(t.fota_update_time / 2, function()
      job.result = "power_loss"
      m:_reboot("power_loss")
    end)
  elseif pct >= 100 then
    m:after(t.fota_update_time, function()
      m:_urc(q('"END",0'))
      job.state, job.result = "rebooting", "ok"
      m.platform:_fota_event(job, "updated")
      m:after(t.fota_reboot, function()
        m.revision = job.version
        m:_reboot("fota")
      end)
    end)
  else
    m:after(t.fota_update_time, function()
      update_step(m, job, math.min(100, pct + t.fota_update_step))
    end)
  end
end

local function download_block(m, job, got)
  local t = m.t
  if m.qsclk == 1 then
    -- The guide: deep sleep must be off during DFOTA; with it on the link drops.
    return finish_failed(m, job, "download_4", q('"DOWNLOAD",4'))
  end
  got = math.min(job.size, got + t.fota_block)
  job.progress = got
  m:_urc(q(('"DOWNLOADING",%d'):format(got)))
  if job.fail == "download_4" and got * 2 >= job.size then
    m:after(t.fota_block_time, function()
      finish_failed(m, job, "download_4", q('"DOWNLOAD",4'))
    end)
  elseif got >= job.size then
    m:after(t.fota_block_time / 2, function()
      m:_urc(q('"DOWNLOAD",0'))
      job.state = "downloaded"
      m.platform:_fota_event(job, "downloaded")
      m:after(t.fota_verify, function()
        job.state = "updating"
        m:_urc(q('"START"'))
        m:after(t.fota_update_time, function() update_step(m, job, 2) end)
      end)
    end)
  else
    m:after(t.fota_block_time, function() download_block(m, job, got) end)
  end
end

function fota.start(m, job)
  local t = m.t
  m.fota = {job = job}
  job.state = "observing"
  job.imei = job.imei or m.imei
  m.platform:_fota_event(job, "started")
  m:after(t.fota_observe, function()
    m:_urc("+QLWEVTIND: 8")
    m:after(t.fota_uri, function()
      job.state = "downloading"
      m:_urc(q('"DOWNLOAD START"'))
      if job.fail == "download_9" then
        m:after(t.fota_block_time / 2, function()
          finish_failed(m, job, "download_9", q('"DOWNLOAD",9'))
        end)
      elseif job.fail == "download_2" then
        m:after(t.fota_block_time, function()
          finish_failed(m, job, "download_2", q('"DOWNLOAD",2'))
        end)
      else
        m:after(t.fota_block_time, function() download_block(m, job, 0) end)
      end
    end)
  end)
end

-- The module rebooted (reset, power loss, or the update's own reboot) while a job ran.
function fota.interrupted(m, why)
  local job = m.fota and m.fota.job
  m.fota = nil
  if not job then return end
  if job.state == "rebooting" then return end -- the normal end of a successful update
  if job.state == "updating" then
    -- The platform learns the (failed) result when the device registers again.
    job.state, job.result = "rebooting", job.result or why
  else
    job.state, job.result = "failed", "interrupted"
    m.platform:_fota_event(job, "failed", {result = "interrupted"})
  end
end

return fota
