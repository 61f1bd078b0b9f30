-- The tasks of lab 7 (docs/lab/en/07-faults.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "recover from a reboot and a lost session by registering again",
     zh = "模块重启或会话丢失后重新注册以恢复",
     expect = {{module = "reboots", min = 2}, {event = "observation_cancelled"}, {event = "registered", min = 3}}},
    {en = "deliver a CON message in each of the four cases",
     zh = "四种情况下都送达一条 CON 数据",
     expect = {{event = "uplink", con = true, hex = "01"}, {event = "uplink", con = true, hex = "02", after = "observation_cancelled"},
               {event = "uplink", con = true, hex = "03"}, {event = "uplink", con = true, hex = "04"}}},
    {en = "close the connection at the end",
     zh = "最后断开连接",
     expect = {{event = "deregistered", after = "uplink"}}},
  },
}
