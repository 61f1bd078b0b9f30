-- The tasks of lab 9 (docs/lab/en/09-buffer-limit.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "register with the IoT platform (180.101.147.115:5683)",
     zh = "注册到电信 IoT 平台(180.101.147.115:5683)",
     expect = {{event = "registered", host = "180.101.147.115", port = 5683}}},
    {en = "three commands of 1000 bytes in buffer mode: one is dropped",
     zh = "缓存模式下三条 1000 字节的命令:一条被丢弃",
     expect = {{event = "downlink_sent", min = 3}, {module = "dropped", min = 1}}},
    {en = "read the buffer, then 2 x 1280 bytes and 1 byte more: the byte is dropped",
     zh = "读空缓存区,再下发 2 x 1280 字节和 1 字节:这 1 字节被丢弃",
     expect = {{event = "downlink_sent", min = 6}, {module = "dropped", min = 2}}},
    {en = "read everything and close the connection",
     zh = "读出全部数据并断开连接",
     expect = {{module = "buffered", max = 0}, {event = "deregistered", after = "downlink_sent"}}},
  },
}
