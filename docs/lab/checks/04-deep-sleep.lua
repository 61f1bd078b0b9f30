-- The tasks of lab 4 (docs/lab/en/04-deep-sleep.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "register and send one NON message with RAI 1",
     zh = "注册后发送一条 RAI 为 1 的 NON 数据",
     expect = {{event = "registered"}, {event = "uplink", con = false, rai = 1}}},
    {en = "let the module enter deep sleep",
     zh = "让模块进入深休眠",
     expect = {{module = "sleeps", min = 1}}},
    {en = "send again after waking the module, without registering again",
     zh = "唤醒模块后再次发送,且不重新注册",
     expect = {{module = "wakeups", min = 1}, {event = "uplink", min = 2}, {event = "registered", max = 1}}},
    {en = "turn deep sleep off again",
     zh = "再关闭深休眠",
     expect = {{module = "qsclk", max = 0}}},
  },
}
