-- The tasks of lab 2 (docs/lab/en/02-receive-modes.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "register with the IoT platform (180.101.147.115:5683)",
     zh = "注册到电信 IoT 平台(180.101.147.115:5683)",
     expect = {{event = "registered", host = "180.101.147.115", port = 5683}}},
    {en = "let the platform send ten commands while the module buffers them: two are dropped",
     zh = "让平台在模块缓存模式下下发 10 条命令:其中两条被丢弃",
     expect = {{event = "downlink_sent", min = 10}, {module = "dropped", min = 2}}},
    {en = "read every buffered message",
     zh = "读出全部缓存数据",
     expect = {{module = "buffered", max = 0}}},
    {en = "switch to direct mode and receive one more command",
     zh = "切换到直吐模式,再接收一条命令",
     expect = {{event = "downlink_sent", min = 11}, {module = "nnmi", min = 1, max = 1}}},
  },
}
