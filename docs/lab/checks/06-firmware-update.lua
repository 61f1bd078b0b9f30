-- The tasks of lab 6 (docs/lab/en/06-firmware-update.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "create a job that starts at registration",
     zh = "创建一个注册时开始的升级任务",
     expect = {{event = "fota_started"}}},
    {en = "follow the update to the end: register again after the reboot with lifetime 86400",
     zh = "跟随升级直到结束:重启后以生命周期 86400 重新注册",
     expect = {{event = "fota_succeeded", result = "ok"}, {event = "registered", lifetime = 86400}}},
    {en = "print the outcome, the bytes and the firmware revisions",
     zh = "打印结果、字节数和固件版本",
     ungraded = true},
    {en = "run a job failing with download_4 and one failing with end_255",
     zh = "分别运行以 download_4 和 end_255 失败的升级任务",
     expect = {{event = "fota_failed", result = "download_4"}, {event = "fota_failed", result = "end_255"}}},
  },
}
