-- The tasks of lab 8 (docs/lab/en/08-lifetime.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "ask for 300 s and read back what the module keeps",
     zh = "设置 300 秒并读出模块保存的值",
     ungraded = true},
    {en = "reboot and register: the platform registers the device for 900 s",
     zh = "重启后注册:平台登记的生命周期为 900 秒",
     expect = {{module = "reboots", min = 2}, {event = "registered", lifetime = 900}}},
    {en = "wait for the module's own update of the registration (+QLWEVTIND: 2)",
     zh = "等待模块自动更新注册(+QLWEVTIND: 2)",
     expect = {{event = "lifetime_update"}}},
    {en = "close the connection",
     zh = "断开连接",
     expect = {{event = "deregistered", after = "lifetime_update"}}},
  },
}
