-- The tasks of lab 5 (docs/lab/en/05-error-codes.md) as `bc260y check` judges them: by
-- the +CME ERROR answers the module gave (lua/bc260y/sim/check.lua says what a
-- condition means).
return {
  tasks = {
    {en = "break the six rules of the task and get each refused",
     zh = "违反任务中的六条规则,每条都被拒绝",
     expect = {{module = "cme_3", min = 3}, {module = "cme_17", min = 1}, {module = "cme_954", min = 1},
               {module = "cme_14", min = 1}, {event = "uplink", max = 0}}},
    {en = "print the symbol and the meaning of each code",
     zh = "打印每个错误码的符号和含义",
     ungraded = true},
    {en = "run it again in Chinese",
     zh = "用中文再运行一次",
     ungraded = true},
  },
}
