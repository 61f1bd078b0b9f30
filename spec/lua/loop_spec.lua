-- loop_spec: bc260y.loop, the scheduler every blocking call of the library stands on:
-- tasks, sleep, timers, signals, futures, fd readiness, errors, and no idle wakeups.
local lu = require("luaunit")
local core = require("bc260y.core")
local sim_core = require("bc260y.sim.core")
local loop = require("bc260y.loop")

local function pty_pair()
  local master, path = assert(sim_core.open_pty())
  local slave = assert(core.open_port(path))
  return master, slave
end

TestLoop = {}

function TestLoop:test_run_returns_results_and_reraises_errors()
  lu.assertEquals({loop.run(function(a, b) return a + b, "x" end, 2, 3)}, {5, "x"})
  local ok, err = pcall(loop.run, function() error("boom") end)
  lu.assertFalse(ok)
  lu.assertStrContains(err, "boom")
  lu.assertEquals(loop.tasks(), 0)
end

function TestLoop:test_tasks_interleave_by_sleep_time()
  local order = {}
  loop.run(function()
    loop.spawn(function() loop.sleep(0.03); order[#order + 1] = "slow" end)
    loop.spawn(function() loop.sleep(0.01); order[#order + 1] = "fast" end)
    order[#order + 1] = "main"
  end)
  lu.assertEquals(order, {"main", "fast", "slow"})
end

function TestLoop:test_sleep_outside_a_task_blocks_for_that_long()
  local t0 = loop.now()
  loop.sleep(0.05)
  lu.assertTrue(loop.now() - t0 >= 0.049)
end

function TestLoop:test_timer_fires_once_and_cancel_prevents_it()
  local fired, cancelled = 0, 0
  loop.run(function()
    loop.timer(0.01, function() fired = fired + 1 end)
    local h = loop.timer(0.01, function() cancelled = cancelled + 1 end)
    h:cancel()
    loop.sleep(0.03)
  end)
  lu.assertEquals(fired, 1)
  lu.assertEquals(cancelled, 0)
end

function TestLoop:test_cancelled_timers_do_not_pile_up()
  local base = loop.timers_held()
  loop.run(function()
    local s = loop.signal()
    for _ = 1, 1000 do
      -- a long wait that ends early, the way receive{timeout = 3600} often does
      loop.timer(0, function() s:notify("x") end)
      lu.assertEquals(s:wait(3600), "x")
    end
  end)
  lu.assertTrue(loop.timers_held() - base < 100, "timers held: " .. loop.timers_held())
end

function TestLoop:test_signal_wakes_waiters_with_values_and_times_out()
  loop.run(function()
    local s = loop.signal()
    local got = {}
    local function waiter()
      local r = {s:wait(1)}
      got[#got + 1] = r
    end
    loop.spawn(waiter)
    loop.spawn(waiter)
    loop.sleep(0.01)
    s:notify("a", 1)
    loop.sleep(0)
    lu.assertEquals(got, {{"a", 1}, {"a", 1}})
    lu.assertEquals({s:wait(0.01)}, {nil, "nothing within 0.01 s", "timeout"})
  end)
end

function TestLoop:test_future_keeps_a_value_set_before_get()
  local f = loop.future()
  f:set(42, "x")
  lu.assertFalse(f:set(1)) -- only once
  lu.assertEquals({f:get(0)}, {42, "x"})
  local g = loop.future()
  loop.timer(0.01, function() g:set("late") end)
  lu.assertEquals(g:get(1), "late") -- blocking style: runs the loop itself
  lu.assertEquals({loop.future():get(0.01)}, {nil, "nothing within 0.01 s", "timeout"})
end

function TestLoop:test_watch_sees_bytes_written_by_the_peer()
  local master, slave = pty_pair()
  local got = {}
  loop.run(function()
    local h
    h = loop.watch(master:fd(), function()
      local data = master:read()
      if data and #data > 0 then got[#got + 1] = data end
      if table.concat(got) == "AT\r" then h:cancel() end
    end)
    assert(loop.wait_writable(slave:fd(), 1))
    slave:write("AT\r")
    local deadline = loop.now() + 2
    while table.concat(got) ~= "AT\r" and loop.now() < deadline do loop.sleep(0.005) end
  end)
  lu.assertEquals(table.concat(got), "AT\r")
  master:close()
  slave:close()
end

function TestLoop:test_protected_task_error_goes_to_handler_and_loop_goes_on()
  local caught, after = nil, false
  loop.run(function()
    loop.spawn_protected(function(msg) caught = msg end, function() error("in callback") end)
    loop.sleep(0.01)
    after = true
  end)
  lu.assertStrContains(caught, "in callback")
  lu.assertStrContains(caught, "traceback")
  lu.assertTrue(after)
end

function TestLoop:test_unprotected_error_keeps_other_ready_tasks()
  local ran = false
  local ok = pcall(loop.run, function()
    loop.spawn(function() error("first") end)
    loop.spawn(function() ran = true end)
    loop.sleep(0.01)
  end)
  lu.assertFalse(ok)
  -- the second task was not lost: the next run of the loop resumes it
  loop.run(function() loop.sleep(0) end)
  lu.assertTrue(ran)
end

function TestLoop:test_run_returns_when_the_last_task_ends_while_an_fd_is_watched()
  -- The last tasks finish in the step's first batch while a watcher stays: run must not
  -- then block in poll for an fd nobody waits on.
  local master = assert(sim_core.open_pty())
  local h = loop.watch(master:fd(), function() master:read() end)
  local s = loop.signal()
  local woke = false
  loop.run(function()
    loop.spawn(function() s:wait(); woke = true end)
    loop.sleep(0.01)
    s:notify()
  end)
  lu.assertTrue(woke)
  -- the same outside any task: a blocking wait ends when its value arrives
  local f = loop.future()
  loop.timer(0.01, function() f:set(1) end)
  lu.assertEquals(f:get(), 1)
  h:cancel()
  master:close()
end

function TestLoop:test_deadlock_is_reported_not_hung()
  local s = loop.signal()
  local ok, err = pcall(loop.run, function() s:wait() end)
  lu.assertFalse(ok)
  lu.assertStrContains(err, "never happen")
  -- the stuck task is still there and finishes once woken
  lu.assertEquals(loop.tasks(), 1)
  loop.run(function() s:notify() end)
  lu.assertEquals(loop.tasks(), 0)
end

function TestLoop:test_no_wakeups_while_idle()
  local before = loop.waits()
  local ok, err = pcall(loop.run, function() loop.sleep(0.3) end)
  local polls = loop.waits() - before
  assert(ok, err)
  -- one poll sleeps the whole time; a little slack for timer rounding
  lu.assertTrue(polls <= 3, "polls: " .. polls)
end

function TestLoop:test_step_returns_false_when_nothing_can_happen()
  lu.assertFalse(loop.step(nil))
end

-- An outer loop driving this one learns from ready() that it must step again before it
-- waits: a step runs the ready tasks twice (before and after polling), and a task made
-- runnable by the second batch runs only in the next step.
function TestLoop:test_ready_says_a_task_waits_for_the_next_step()
  lu.assertFalse(loop.ready())
  local got = false
  loop.spawn(function()                   -- first batch
    loop.spawn(function()                 -- second batch
      loop.spawn(function() got = true end) -- next step
    end)
  end)
  lu.assertTrue(loop.ready())
  loop.step(0)
  lu.assertTrue(loop.ready())
  lu.assertFalse(got)
  loop.step(0)
  lu.assertTrue(got)
  lu.assertFalse(loop.ready())
end

-- A task waiting on something only it can reach (its own signal, or a Modem the loop
-- watches weakly and whose future the task waits on) stays alive until it finishes: the
-- loop holds its unfinished tasks. (Under an outer loop's adapter, whose spawn keeps no
-- task, the collector took such a wait and its Modem, and the session hung.)
function TestLoop:test_a_waiting_task_is_not_collected()
  local weak = setmetatable({}, {__mode = "v"})
  local finished = false
  loop.spawn(function()
    local s = loop.signal()
    weak.signal = s
    s:wait()
    finished = true
  end)
  loop.step(0) -- the task runs to its wait
  collectgarbage()
  collectgarbage()
  lu.assertNotNil(weak.signal, "the waiting task was collected")
  weak.signal:notify()
  loop.step(0)
  lu.assertTrue(finished)
  lu.assertEquals(loop.tasks(), 0)
end

os.exit(lu.LuaUnit.run(), true)
