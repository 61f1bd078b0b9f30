-- progress_spec: a waiting person sees what is awaited and for how long (bc260y.progress):
-- on a terminal one line redrawn in place every second, in a pipe one plain line at the
-- start and one at the end with no control characters; the wait returns what the call
-- returned, a failure (nil, msg) or an error shows as failed, in English and Chinese.
local lu = require("luaunit")
local loop = require("bc260y.loop")
local progress = require("bc260y.progress")
local i18n = require("bc260y.i18n")

local function sink()
  local buf = {}
  return {write = function(self, ...) for _, v in ipairs({...}) do buf[#buf + 1] = v end return self end,
          flush = function() end, text = function() return table.concat(buf) end}
end

TestProgress = {}

function TestProgress:setUp() i18n.set("en") end
function TestProgress:tearDown() i18n.set(nil) end

function TestProgress:test_a_pipe_gets_a_line_at_start_and_at_end()
  local out = sink()
  local show = progress.new{out = out, tty = false}
  local a, b = loop.run(function()
    return show:during(progress.REGISTRATION, 126, function(x) loop.sleep(0.05); return x, "more" end, 42)
  end)
  lu.assertEquals({a, b}, {42, "more"})
  local text = out.text()
  lu.assertStrMatches(text, "waiting for registration %(%+QLWEVTIND: 0 and 3%)  0 s %(up to 126 s%)\n"
    .. "registration %(%+QLWEVTIND: 0 and 3%): done after 0%.%d s\n")
  lu.assertNil(text:find("[\r\27]"))
end

function TestProgress:test_a_terminal_line_is_redrawn_every_second()
  local out = sink()
  local show = progress.new{out = out, tty = true}
  loop.run(function() show:during(progress.NETWORK, 60, loop.sleep, 2.3) end)
  local text = out.text()
  lu.assertStrContains(text, "\r\27[Kwaiting for the network (an IP address)  0 s (up to 60 s)")
  lu.assertStrContains(text, "\r\27[Kwaiting for the network (an IP address)  1 s (up to 60 s)")
  lu.assertStrContains(text, "\r\27[Kwaiting for the network (an IP address)  2 s (up to 60 s)")
  lu.assertStrMatches(text, ".*\r\27%[Kthe network %(an IP address%): done after 2%.%d s\n$")
  loop.run(loop.sleep, 1.2) -- the ticker is gone: nothing more is drawn
  lu.assertEquals(out.text(), text)
end

function TestProgress:test_failures_and_errors_show_as_failed()
  local out = sink()
  local show = progress.new{out = out, tty = false}
  local r, msg, code = loop.run(function()
    return show:during(progress.CON_ACK, 100, function() return nil, "no ack", "timeout" end)
  end)
  lu.assertEquals({r, msg, code}, {nil, "no ack", "timeout"})
  lu.assertStrContains(out.text(), "the CON acknowledgement (+QLWEVTIND: 4): failed after")
  local ok, err = pcall(loop.run, function() show:during("boom", nil, error, "kaput", 0) end)
  lu.assertFalse(ok)
  lu.assertStrContains(tostring(err), "kaput")
  lu.assertStrContains(out.text(), "waiting for boom  0 s\nboom: failed after")
end

function TestProgress:test_a_callback_renders_the_events_it_is_given()
  local out = sink()
  local cb = progress.new{out = out, tty = false}:callback()
  cb{what = progress.WAKE, phase = "start", elapsed = 0}
  cb{what = progress.WAKE, phase = "tick", elapsed = 1}
  cb{what = progress.WAKE, phase = "done", elapsed = 1.3}
  lu.assertEquals(out.text(), "waiting for the module to wake from deep sleep  0 s\n"
    .. "the module to wake from deep sleep: done after 1.3 s\n")
end

-- The Modem's DFOTA events carry the bytes downloaded or the update's percent.
function TestProgress:test_dfota_events_show_their_figure()
  lu.assertEquals(progress.describe{what = "progress.fota_download", phase = "tick", elapsed = 3, value = 2048},
    "waiting for the firmware download (+QIND: \"FOTA\",\"DOWNLOAD\",<err>)  3 s  2048 bytes")
  lu.assertStrContains(progress.describe{what = "progress.fota_update", phase = "tick", elapsed = 3, value = 40},
    "  40%")
end

function TestProgress:test_chinese()
  i18n.set("zh")
  local out = sink()
  local show = progress.new{out = out, tty = false}
  loop.run(function() show:during(progress.REGISTRATION, 126, function() return true end) end)
  lu.assertStrContains(out.text(), "等待注册结果(+QLWEVTIND: 0 和 3)  0 秒(最长 126 秒)")
  lu.assertStrContains(out.text(), "注册结果(+QLWEVTIND: 0 和 3):完成,用时")
end

function TestProgress:test_bar_and_line()
  local out = sink()
  local show = progress.new{out = out, tty = true}
  show:bar("download", 0.5, "5120 / 10240 bytes")
  show:line("download  complete")
  lu.assertEquals(out.text(), "\r\27[Kdownload  [###############...............] 5120 / 10240 bytes"
    .. "\r\27[Kdownload  complete\n")
  out = sink()
  show = progress.new{out = out, tty = false}
  show:bar("update", 0.07, "7%")
  lu.assertEquals(out.text(), "update    7%\n")
end

os.exit(lu.LuaUnit.run(), true)
