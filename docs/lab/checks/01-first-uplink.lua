-- The tasks of lab 1 (docs/lab/en/01-first-uplink.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "open the module and print its model, IMEI and IP address",
     zh = "打开模块串口,打印型号、IMEI 和 IP 地址",
     ungraded = true},
    {en = "register with CTWing AEP (221.229.214.202:5683)",
     zh = "注册到 CTWing AEP(221.229.214.202:5683)",
     expect = {{event = "registered", host = "221.229.214.202", port = 5683}}},
    {en = "send the five bytes hello",
     zh = "发送 5 个字节 hello",
     expect = {{event = "uplink", hex = "68656C6C6F"}}},
    {en = "close the connection (deregister) after sending",
     zh = "发送后断开连接(去注册)",
     expect = {{event = "deregistered", after = "uplink"}}},
  },
}
