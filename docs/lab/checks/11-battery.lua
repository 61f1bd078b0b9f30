-- The tasks of lab 11 (docs/lab/en/11-battery.md) as `bc260y check` judges them
-- (lua/bc260y/sim/check.lua says what a condition means).
return {
  tasks = {
    {en = "one NON uplink with RAI 0, then deep sleep",
     zh = "一条 RAI 为 0 的 NON 上行数据,随后深休眠",
     expect = {{event = "uplink", con = false, rai = 0}, {module = "sleeps", min = 1}}},
    {en = "the same with RAI 1",
     zh = "用 RAI 1 重复一次",
     expect = {{event = "uplink", con = false, rai = 1}, {module = "sleeps", min = 2}}},
    {en = "three rows of the battery table",
     zh = "电池表格中的三行",
     ungraded = true},
  },
}
