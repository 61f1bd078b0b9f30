-- The tasks of lab 3 (docs/lab/en/03-con-non-rai.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "send a NON message with RAI 0 and one with RAI 1",
     zh = "分别发送 RAI 为 0 和 RAI 为 1 的 NON 数据",
     expect = {{event = "uplink", con = false, rai = 0}, {event = "uplink", con = false, rai = 1}}},
    {en = "send a CON message with RAI 2",
     zh = "发送一条 RAI 为 2 的 CON 数据",
     expect = {{event = "uplink", con = true, rai = 2}}},
    {en = "send a CON message the platform does not acknowledge",
     zh = "发送一条平台不确认的 CON 数据",
     expect = {{event = "uplink", con = true, min = 2}}},
    {en = "print every uplink the platform received",
     zh = "打印平台收到的每条上行数据",
     ungraded = true},
  },
}
