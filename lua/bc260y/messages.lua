-- bc260y.messages: the message catalogue of bc260y.i18n, every text a person reads from
-- the CLI and the console in English and Chinese, keyed by a short id. The "lib." entries
-- are the library's own error messages (bc260y.modem, bc260y.dfota), ready for them to
-- look up with i18n.t; their %-placeholders are those of the English text.
return {
  -- `help CMD` labels
  ["help.guide"] = {en = "guide", zh = "指导"},
  ["help.syntax"] = {en = "syntax:", zh = "语法:"},
  ["help.errors_answer"] = {en = "on any error:", zh = "若出现任何错误:"},
  ["help.max_time"] = {en = "maximum response time", zh = "最大响应时间"},
  ["help.params"] = {en = "parameters:", zh = "参数:"},
  ["help.range"] = {en = "range", zh = "范围"},
  ["help.default"] = {en = "default", zh = "默认值"},
  ["help.notes"] = {en = "notes:", zh = "备注:"},

  -- the console
  ["console.banner"] = {
    en = "bc260y console on %s. Type AT commands; `help` lists the commands, `help NMGS` explains one, `:quit` leaves.",
    zh = "bc260y 控制台,已连接 %s。输入 AT 命令;`help` 列出命令,`help NMGS` 查看说明,`:quit` 退出。"},
  ["console.virtual"] = {en = "the virtual module", zh = "虚拟模块"},
  ["console.help"] = {
    en = [[AT commands go to the module as typed; every line it prints is followed by its meaning.
Console commands:
  help                 this list and the module's commands
  help CMD             syntax, parameters and notes of CMD (help NMGS, help AT+NCDPOPEN)
  help errors          every +CME ERROR code of the guide
  explain LINE         the meaning of a line (explain +QLWEVTIND: 3)
  :lua CODE            run a line of Lua with m bound to the open Modem (:lua print(m:status()))
  :quit                leave (also Ctrl-D)
The module's commands:]],
    zh = [[AT 命令按原样发送给模块;模块输出的每一行下方显示其含义。
控制台命令:
  help                 本列表及模块命令
  help CMD             CMD 的语法、参数和备注(help NMGS、help AT+NCDPOPEN)
  help errors          指导中全部 +CME ERROR 错误码
  explain LINE         解释一行输出(explain +QLWEVTIND: 3)
  :lua CODE            执行一行 Lua,m 为当前 Modem(:lua print(m:status()))
  :quit                退出(也可按 Ctrl-D)
模块命令:]]},
  ["console.no_help"] = {en = "no help for '%s': `help` lists the commands", zh = "没有 '%s' 的说明:`help` 列出全部命令"},
  ["console.no_meaning"] = {en = "nothing known about this line", zh = "无此行的说明"},
  ["console.not_at"] = {en = "not an AT command: '%s' (`help` lists what the console understands)",
                        zh = "不是 AT 命令:'%s'(`help` 列出控制台支持的命令)"},
  ["console.timeout"] = {en = "no answer within %g s", zh = "%g 秒内无应答"},
  ["console.refused"] = {en = "not sent: %s", zh = "未发送:%s"},
  ["console.lua_error"] = {en = "Lua error: %s", zh = "Lua 错误:%s"},
  ["console.closed"] = {en = "the port closed: %s", zh = "端口已关闭:%s"},
  ["console.errors_title"] = {en = "+CME ERROR codes (guide chapter 6):", zh = "+CME ERROR 错误码(指导第 6 章):"},

  -- the CLI
  ["cli.unknown_command"] = {en = "unknown command '%s' (bc260y --help lists them)", zh = "未知命令 '%s'(bc260y --help 列出全部命令)"},
  ["cli.unknown_option"] = {en = "%s: unknown option %s (bc260y %s --help)", zh = "%s:未知选项 %s(bc260y %s --help)"},
  ["cli.needs_value"] = {en = "%s needs a value", zh = "%s 需要一个值"},
  ["cli.speed"] = {en = "--speed must be a number > 0", zh = "--speed 必须是大于 0 的数"},
  ["cli.speed_sim_only"] = {en = "--speed only applies to the virtual module (--port sim)", zh = "--speed 仅适用于虚拟模块(--port sim)"},
  ["cli.port_empty"] = {en = "--port must not be empty", zh = "--port 不能为空"},
  ["cli.which_script"] = {en = "run: which script? (bc260y run --help)", zh = "run:请给出脚本(bc260y run --help)"},
  ["cli.no_sim"] = {en = "the virtual module is not available: %s", zh = "虚拟模块不可用:%s"},
  ["cli.no_ports"] = {en = "no serial ports found", zh = "未找到串口"},
  ["cli.cannot_open"] = {en = "cannot open %s: %s", zh = "无法打开 %s:%s"},
  ["cli.debug_hint"] = {en = "(--debug shows where)", zh = "(加 --debug 查看出错位置)"},
  ["cli.bad_lang"] = {en = "--lang: en or zh", zh = "--lang:en 或 zh"},

  -- bc260y sim, bc260y demo
  ["sim.imei"] = {en = "--imei: 15 digits", zh = "--imei:15 位数字"},
  ["sim.seed"] = {en = "--seed: an integer", zh = "--seed:整数"},
  ["sim.script_failed"] = {en = "script: %s", zh = "脚本出错:%s"},
  ["demo.unknown_argument"] = {en = "unknown argument %s (bc260y demo --help)", zh = "未知参数 %s(bc260y demo --help)"},
  ["demo.needs_file"] = {en = "--script needs a file", zh = "--script 需要一个文件"},
  ["demo.no_example"] = {en = "%s not found (looked in %s): pass --script FILE",
                         zh = "未找到 %s(查找了 %s):请用 --script FILE 指定"},
  ["demo.intro"] = {en = "bc260y demo: %s against the virtual module (time x%g)", zh = "bc260y 演示:%s 运行于虚拟模块(时间 x%g)"},
  ["demo.trace_to_stderr"] = {en = "; the line trace goes to stderr", zh = ";逐行跟踪输出到 stderr"},
  ["demo.summary"] = {en = "== summary: what the virtual platform saw (times in module seconds)",
                      zh = "== 总结:虚拟平台收到的内容(时间为模块秒)"},
  ["demo.uplinks"] = {en = "uplinks received: %d", zh = "收到上行数据:%d 条"},
  ["demo.downlinks"] = {en = "downlinks delivered: %d", zh = "下发下行数据:%d 条"},
  ["demo.host"] = {en = "host side: %d commands, %d lines, %d URCs, %d unknown, %d timeouts, %d reboots",
                   zh = "主机侧:%d 条命令,%d 行,%d 条 URC,%d 条未知,%d 次超时,%d 次重启"},
  ["demo.ran"] = {en = "ran in %.1f s", zh = "用时 %.1f 秒"},
  ["demo.failed"] = {en = ", and FAILED", zh = ",失败"},

  -- progress (bc260y.progress)
  ["progress.waiting"] = {en = "waiting for %s", zh = "等待%s"},
  ["progress.up_to"] = {en = "%d s (up to %d s)", zh = "%d 秒(最长 %d 秒)"},
  ["progress.elapsed"] = {en = "%d s", zh = "%d 秒"},
  ["progress.done"] = {en = "%s: done after %.1f s", zh = "%s:完成,用时 %.1f 秒"},
  ["progress.failed"] = {en = "%s: failed after %.1f s", zh = "%s:失败,用时 %.1f 秒"},
  ["progress.registration"] = {en = "registration (+QLWEVTIND: 0 and 3)", zh = "注册结果(+QLWEVTIND: 0 和 3)"},
  ["progress.network"] = {en = "the network (an IP address)", zh = "注网(IP 地址)"},
  ["progress.con_ack"] = {en = "the CON acknowledgement (+QLWEVTIND: 4)", zh = "CON 确认(+QLWEVTIND: 4)"},
  ["progress.wake"] = {en = "the module to wake from deep sleep", zh = "模块从深休眠唤醒"},
  ["progress.deepsleep"] = {en = "deep sleep (RRC idle, then T3324)", zh = "进入深休眠(RRC 空闲后再经过 T3324)"},
  ["progress.deregister"] = {en = "deregistration (DEREGISTERED)", zh = "去注册(DEREGISTERED)"},
  ["progress.downlink"] = {en = "a downlink", zh = "下行数据"},
  ["progress.fota_download"] = {en = "the firmware download (+QIND: \"FOTA\",\"DOWNLOAD\",<err>)",
                                zh = "固件下载结果(+QIND: \"FOTA\",\"DOWNLOAD\",<err>)"},
  ["progress.fota_update"] = {en = "the firmware update (+QIND: \"FOTA\",\"END\",<fota_err>)",
                              zh = "固件升级结果(+QIND: \"FOTA\",\"END\",<fota_err>)"},

  -- The library's messages (bc260y.modem*, bc260y.dfota), each the English text the
  -- library produces today; the Modem looks them up with i18n.t(key, ...) once wired in.
  -- lib.cme's first %s is the error's text: errors[code].en or .zh as the language says.
  ["lib.closed"] = {en = "the modem is closed", zh = "Modem 已关闭"},
  ["lib.port_failed"] = {en = "the port failed: %s", zh = "端口故障:%s"},
  ["lib.cme"] = {en = "%s (+CME ERROR: %d %s)", zh = "%s(+CME ERROR: %d %s)"},
  ["lib.error"] = {en = "%s: ERROR", zh = "%s:ERROR(命令执行失败)"},
  ["lib.no_answer"] = {en = "%s: no answer in time", zh = "%s:未在规定时间内应答"},
  ["lib.cmd_rebooted"] = {en = "%s: the module rebooted", zh = "%s:模块已重启"},
  ["lib.too_long"] = {en = "%s: the answer was too long", zh = "%s:应答过长"},
  ["lib.unexpected"] = {en = "%s: unexpected result %s", zh = "%s:意外的结果 %s"},
  ["lib.no_line"] = {en = "%s: no %s line in the answer", zh = "%s:应答中没有 %s 行"},
  ["lib.wake_hook"] = {en = "the wake hook failed: %s", zh = "唤醒函数出错:%s"},
  ["lib.no_at"] = {en = "the module does not answer AT after %d tries (%s)", zh = "尝试 %d 次后模块仍不应答 AT(%s)"},
  ["lib.no_ip"] = {en = "no IP address after %g s (not attached to the network)", zh = "%g 秒后仍无 IP 地址(未注网)"},
  ["lib.connecting"] = {en = "a connection attempt is already running", zh = "已有一个连接请求正在进行"},
  ["lib.connected"] = {en = "already connected: close or disconnect first", zh = "已经连接:请先 close 或 disconnect"},
  ["lib.no_registration"] = {en = "no registration result (+QLWEVTIND: 0 and 3) within %g s",
                             zh = "%g 秒内没有注册结果(+QLWEVTIND: 0 和 3)"},
  ["lib.rebooted"] = {en = "the module rebooted: init and connect again before sending", zh = "模块已重启:发送前请重新 init 和 connect"},
  ["lib.not_observed"] = {en = "not observed by the platform yet (+QLWEVTIND: 3): connect first",
                          zh = "平台尚未订阅(+QLWEVTIND: 3):请先连接"},
  ["lib.con_pending"] = {en = "a CON uplink is still waiting for its acknowledgement", zh = "上一条 CON 数据仍在等待确认"},
  ["lib.no_con_ack"] = {en = "no CON acknowledgement (+QLWEVTIND: 4) within %g s", zh = "%g 秒内没有 CON 确认(+QLWEVTIND: 4)"},
  ["lib.connect_running"] = {en = "a connection attempt is running: wait for its result first", zh = "连接请求正在进行:请先等待其结果"},
  ["lib.still_state"] = {en = "still %s %g s after AT+NCDPCLOSE", zh = "仍为 %s:AT+NCDPCLOSE 后已过 %g 秒"},
  ["lib.invalid_hex"] = {en = "AT+NMGR: the module returned invalid hex", zh = "AT+NMGR:模块返回了无效的十六进制数据"},
  ["lib.handlers"] = {en = "downlink handlers are registered: downlinks go to them, not to receive",
                      zh = "已注册 downlink 回调:下行数据交给回调,不进入 receive"},
  ["lib.no_downlink"] = {en = "no downlink in time", zh = "规定时间内没有下行数据"},
  ["lib.trigger_failed"] = {en = "trigger uplink %d failed: %s", zh = "第 %d 条触发上行数据失败:%s"},
  ["lib.no_job"] = {en = "no DFOTA job started after %d uplink(s) (guide 5.3.3: try a few more)",
                    zh = "发送 %d 条上行数据后仍未开始 DFOTA 任务(指导 5.3.3:可多发几包数据)"},
  ["lib.init_failed"] = {en = "init failed: %s", zh = "初始化失败:%s"},
  ["lib.qsclk_failed"] = {en = "AT+QSCLK=0 failed: %s", zh = "AT+QSCLK=0 失败:%s"},
  ["lib.init_after_update"] = {en = "init after the update failed: %s", zh = "升级后初始化失败:%s"},
  ["lib.ncfg_failed"] = {en = "AT+NCFG failed: %s", zh = "AT+NCFG 失败:%s"},
  ["lib.reboot_connecting"] = {en = "the module rebooted while connecting", zh = "连接过程中模块重启"},
  ["lib.reboot_con"] = {en = "the module rebooted before the CON uplink was acknowledged",
                        zh = "CON 数据得到确认前模块重启"},
  ["lib.rejected"] = {en = "the platform rejected the registration or it timed out (+QLWEVTIND: 1)",
                      zh = "平台拒绝了注册或注册超时(+QLWEVTIND: 1)"},
  ["lib.connection_error"] = {en = "connection error (+QLWEVTIND: -1)", zh = "连接发生异常(+QLWEVTIND: -1)"},
  ["lib.con_failed"] = {en = "the platform did not acknowledge the CON uplink (+QLWEVTIND: 5)",
                        zh = "平台未确认 CON 数据(+QLWEVTIND: 5)"},
  ["lib.observe_reset"] = {en = "the platform reset the observation (+QLWEVTIND: 10)",
                           zh = "平台重置了订阅(+QLWEVTIND: 10),需重新连接"},
  ["lib.buffer_read_failed"] = {en = "reading the module's buffer failed: %s", zh = "读取模块缓存失败:%s"},
  ["lib.port_error"] = {en = "port failed: %s", zh = "端口故障:%s"},
  ["lib.no_job_within"] = {en = "no DFOTA job started within %g s", zh = "%g 秒内未开始 DFOTA 任务"},
  ["lib.no_progress"] = {en = "no DFOTA progress for %g s in state %s", zh = "%g 秒内 DFOTA 没有进展(状态 %s)"},
  ["lib.no_reboot"] = {en = "no reboot within %g s after END,0", zh = "END,0 之后 %g 秒内模块未重启"},
  ["lib.register_again_failed"] = {en = "registering again failed: %s", zh = "重新注册失败:%s"},
  ["lib.receive_mode_failed"] = {en = "restoring the receive mode failed: %s", zh = "恢复接收模式失败:%s"},
  ["lib.interrupted"] = {en = "the module rebooted during the job (state %s) with no END line",
                         zh = "升级任务进行中(状态 %s)模块重启,且没有 END 行"},
  ["lib.fota_error"] = {en = "error", zh = "错误"},
  ["lib.fota_download_2"] = {en = "out of memory", zh = "内存不足"},
  ["lib.fota_download_4"] = {en = "the download link was lost", zh = "下载连接断开"},
  ["lib.fota_download_9"] = {en = "invalid package URI", zh = "平台下发了无效的 URL"},
  ["lib.fota_end_255"] = {en = "the update failed", zh = "升级失败"},
  ["lib.download_failed"] = {en = "download failed: %s (DOWNLOAD,%s)", zh = "下载失败:%s(DOWNLOAD,%s)"},
  ["lib.update_failed"] = {en = "update failed: %s (END,%s)", zh = "升级失败:%s(END,%s)"},
  ["lib.dfota_no_ip"] = {en = "no IP address: %s", zh = "没有 IP 地址:%s"},
  ["lib.dfota_downloading"] = {en = "a DFOTA download is running", zh = "DFOTA 固件下载正在进行"},
  ["lib.dfota_updating"] = {en = "a DFOTA update is running", zh = "DFOTA 固件升级正在进行"},
  ["lib.unconfirmed"] = {
    en = "updated and registered again, but the platform did not cancel the /5/0/3 observation (+QLWEVTIND: 9) within %g s",
    zh = "已升级并重新注册,但平台 %g 秒内未取消 /5/0/3 的订阅(+QLWEVTIND: 9)"},
  ["lib.on_stage_failed"] = {en = "on_stage failed: %s", zh = "on_stage 回调出错:%s"},
  ["lib.down_rebooted"] = {en = "the module rebooted", zh = "模块已重启"},
  ["lib.down_register_failed"] = {en = "the registration failed (+QLWEVTIND: 1)", zh = "注册失败(+QLWEVTIND: 1)"},
  ["lib.down_broke"] = {en = "the connection broke (+QLWEVTIND: -1)", zh = "连接已断开(+QLWEVTIND: -1)"},
  ["lib.broke_before_con"] = {en = "the connection broke before the CON uplink was acknowledged (+QLWEVTIND: -1)",
                              zh = "CON 数据得到确认前连接已断开(+QLWEVTIND: -1)"},
  ["lib.down_not_restored"] = {en = "the session was not restored after deep sleep (+QLWEVTIND: 7)",
                               zh = "深休眠唤醒后会话未能恢复(+QLWEVTIND: 7)"},
  ["lib.fota_downloading"] = {en = "a firmware update is downloading (DFOTA): no command until it ends",
                              zh = "正在下载固件升级包(DFOTA):结束前不能发送任何命令"},
  ["lib.fota_installing"] = {en = "a firmware update is being installed (DFOTA): no command until it ends",
                             zh = "正在安装固件升级(DFOTA):结束前不能发送任何命令"},
  ["lib.fota_downloaded"] = {en = "a firmware update was downloaded (DFOTA): no command until it ends",
                             zh = "固件升级包已下载(DFOTA):结束前不能发送任何命令"},
  ["lib.fota_ended"] = {en = "a firmware update ended (DFOTA): no command until the module has rebooted",
                        zh = "固件升级已结束(DFOTA):模块重启前不能发送任何命令"},
  ["lib.trace_failed"] = {en = "trace function failed: %s", zh = "trace 函数出错:%s"},
  ["lib.read_failed"] = {en = "read failed", zh = "读取失败"},
  ["lib.write_failed"] = {en = "write failed", zh = "写入失败"},
  ["lib.write_stalled"] = {en = "the port accepted no byte for %g s", zh = "端口 %g 秒内未接收任何字节"},
  ["lib.timed_out"] = {en = "timed out", zh = "等待超时"},
  ["lib.progress_failed"] = {en = "progress callback failed: %s", zh = "progress 回调出错:%s"},
  ["lib.callback_failed"] = {en = "error in a callback: %s", zh = "回调函数出错:%s"},
  ["lib.error_handler_failed"] = {en = "error in an 'error' handler: %s", zh = "'error' 事件处理函数出错:%s"},
}

