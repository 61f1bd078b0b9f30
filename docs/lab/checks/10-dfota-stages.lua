-- The tasks of lab 10 (docs/lab/en/10-dfota-stages.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "no deep sleep during the job, which starts at registration",
     zh = "升级期间不进入深休眠,升级任务在注册时开始",
     expect = {{module = "sleeps", max = 0}, {event = "fota_started"}}},
    {en = "print each stage once",
     zh = "每个阶段打印一次",
     ungraded = true},
    {en = "send nothing during the update, register again after the reboot: the platform reads the result",
     zh = "升级期间不发送数据,重启后重新注册:平台读取升级结果",
     expect = {{event = "uplink", max = 0}, {event = "registered", after = "fota_updated"},
               {event = "fota_succeeded", result = "ok"}}},
    {en = "print the firmware before and after",
     zh = "打印升级前后的固件版本",
     ungraded = true},
  },
}
