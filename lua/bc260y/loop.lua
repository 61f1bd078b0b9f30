-- bc260y.loop: a small epoll-based scheduler for the library and its users.
--
-- Tasks are coroutines. A task waits (sleep, a signal, a future, fd readiness) by yielding
-- to the loop; the same calls made outside any task run the loop themselves until done,
-- so quick scripts can block. The loop never wakes up while idle: one wait sleeps
-- until the next fd event or the next timer deadline. step(timeout) and the fds of the
-- watchers let another loop (uloop, luv, cqueues) drive it.
--
--   loop.spawn(fn, ...)                 start a task (an error in it is raised by run/step)
--   loop.spawn_protected(onerror, fn, ...)  same, errors go to onerror(msg_with_traceback)
--   loop.current()                      the running task or nil
--   loop.sleep(s)                       pause the task (or run the loop s seconds)
--   loop.timer(delay, fn)               fn() in loop context after delay; :cancel()
--   loop.watch(fd, fn)                  fn(fd) whenever fd is readable or hung up; :cancel()
--   loop.wait_writable(fd, timeout)     true | nil, message, "timeout"
--   loop.watch_background(fd, fn)       fn(fd) whenever fd is readable, but fd keeps no
--                                       wait alive and is not watched for exclusive()
--                                       (bc260y.shutdown's signals); :cancel()
--   loop.signal()                       s:wait(timeout) -> ... | nil, message, "timeout"; s:notify(...)
--                                       wakes the current waiters (a notify with no waiter is lost)
--   loop.future()                       f:set(...) once; f:get(timeout) -> the values, at once
--                                       when already set (nothing is lost)
--   loop.step(timeout[, stop])          one poll + run what is ready; false when nothing can
--                                       ever happen (no task runnable, no fd, no timer);
--                                       returns before polling once stop() is true
--   loop.run(fn, ...)                   run fn as a task, and the loop until no task is left
--   loop.pollables()                    rfds, wfds, next timer deadline (for an outer loop)
--   loop.ready()                        a task is runnable: the outer loop must step(0) now
--   loop.exclusive(fd)                  may the process block on fd alone now? (the Modem's
--                                       fast path): true, next timer deadline | false
--   loop.waits()                        fd waits so far (the specs count idle wakeups)
--   loop.release(fn)                    fn() at the loop's next step: the one loop call a
--                                       __gc metamethod may make (below)
--   loop.run_releases()                 runs those now (never from a __gc)
--
-- The fds are waited for with epoll (core.poller): a wait costs what is ready, not what
-- is watched, so an idle fd adds nothing to another's traffic.
local core = require("bc260y.core")

local loop = {}

local now = core.now

-- A bad argument raises at the line that called the loop's function (level 3: this
-- helper, the loop's function, its caller), never inside the loop.
local function check_arg(ok, msg)
  if not ok then error(msg, 3) end
end
loop.now = now

local unpack, pack = table.unpack, table.pack

local runnable = {}      -- FIFO of {task, args} to resume
local alive = 0          -- tasks not finished
-- The unfinished tasks themselves. A waiting task is otherwise held only by what it waits
-- on (a future a Modem holds, a timer): a Modem watched weakly by the loop, and the task
-- that waits for its answer, would form a cycle nobody holds, and the collector would take
-- a wait that is still under way (it did, under an outer loop's adapter, whose spawn
-- keeps no task).
local live_tasks = {}
local current = nil      -- the task being resumed
local readers = {}       -- fd -> {handle, ...} persistent watchers
local writers = {}       -- fd -> {wake, ...} one-shot waits for writability
local reader_fds = 0     -- how many fds readers holds
local timers = {}        -- binary min-heap of timer handles by (at, seq)
local timer_seq = 0
local poller = assert(core.poller())
local unpollable = {}    -- fd -> true: fds epoll refuses (regular files, closed fds);
                         -- like poll(2), the loop calls them ready at every step
local ready = {}         -- poller:wait's output, reused: fd, flags, fd, flags...
local waits = 0          -- poller waits so far (loop.waits(), for the specs)
local batch_left = 0     -- tasks of the running batch still to resume
local may_block = true   -- may a wait block the process now: outside any step, or in a
                         -- step whose timeout is nil (run(), a wait outside a task); not
                         -- in a step(0) another loop drives
local solo = false       -- the fd one watcher watches when no other fd is watched
local background = {}    -- fd -> fn: loop.watch_background's fds, in none of the counts above

---------------------------------------------------------------------------------------
-- timers (a min-heap with lazy cancellation)
local function before(a, b)
  if a.at ~= b.at then return a.at < b.at end
  return a.seq < b.seq
end

local function heap_push(h)
  local i = #timers + 1
  timers[i] = h
  while i > 1 do
    local p = i // 2
    if not before(timers[i], timers[p]) then break end
    timers[i], timers[p] = timers[p], timers[i]
    i = p
  end
end

local function heap_pop()
  local top, n = timers[1], #timers
  timers[1] = timers[n]
  timers[n] = nil
  n = n - 1
  local i = 1
  while true do
    local l, r, m = 2 * i, 2 * i + 1, i
    if l <= n and before(timers[l], timers[m]) then m = l end
    if r <= n and before(timers[r], timers[m]) then m = r end
    if m == i then break end
    timers[i], timers[m] = timers[m], timers[i]
    i = m
  end
  return top
end

-- A cancelled timer stays in the heap until it reaches the top; so that waits with long
-- timeouts that end early (receive{timeout = 3600}) cannot pile up, the heap is rebuilt
-- without them once they are the majority.
local cancelled_in_heap = 0

local function compact()
  local live = {}
  for _, h in ipairs(timers) do
    if not h.cancelled then live[#live + 1] = h end
  end
  table.sort(live, before) -- a sorted array is a valid heap
  timers = live
  cancelled_in_heap = 0
end

local Timer = {}
Timer.__index = Timer
function Timer:cancel()
  if self.cancelled or self.fired then return end
  self.cancelled = true
  self.fn = nil -- what it would have called may be collected while it waits in the heap
  cancelled_in_heap = cancelled_in_heap + 1
  if cancelled_in_heap > 32 and cancelled_in_heap * 2 > #timers then compact() end
end

function loop.timer(delay, fn)
  check_arg(type(delay) == "number", "timer: delay must be a number")
  check_arg(type(fn) == "function", "timer: fn must be a function")
  timer_seq = timer_seq + 1
  local h = setmetatable({at = now() + math.max(delay, 0), seq = timer_seq, fn = fn}, Timer)
  heap_push(h)
  return h
end

local function next_deadline()
  while timers[1] and timers[1].cancelled do
    heap_pop()
    cancelled_in_heap = cancelled_in_heap - 1
  end
  return timers[1] and timers[1].at
end

---------------------------------------------------------------------------------------
-- tasks
local Task = {}
Task.__index = Task
function Task:__tostring() return "bc260y.task(" .. (self.done and "done" or "alive") .. ")" end

local function schedule(task, ...)
  runnable[#runnable + 1] = {task, pack(...)}
end

local function resume(task, args)
  local prev = current
  current = task
  local ok, err = coroutine.resume(task.co, unpack(args, 1, args.n))
  current = prev
  if coroutine.status(task.co) == "dead" then
    task.done = true
    alive = alive - 1
    live_tasks[task] = nil
    if not ok then
      local msg = debug.traceback(task.co, tostring(err))
      if task.onerror then
        task.onerror(msg)
      else
        error(msg, 0)
      end
    end
  end
end

local function new_task(onerror, fn, ...)
  -- (spawn and spawn_protected tail-call this: level 2 is their caller)
  if type(fn) ~= "function" then error("spawn: fn must be a function", 2) end
  local task = setmetatable({co = coroutine.create(fn), onerror = onerror}, Task)
  alive = alive + 1
  live_tasks[task] = true
  schedule(task, ...)
  return task
end

function loop.spawn(fn, ...) return new_task(nil, fn, ...) end
function loop.spawn_protected(onerror, fn, ...)
  check_arg(type(onerror) == "function", "spawn_protected: onerror must be a function")
  return new_task(onerror, fn, ...)
end

-- The running task, only when the code runs in that task's own coroutine (not in a
-- coroutine of the user's nested inside it).
function loop.current()
  if current and coroutine.running() == current.co then return current end
  return nil
end

function loop.tasks() return alive end
-- Timers held, cancelled ones not yet dropped included (for the specs).
function loop.timers_held() return #timers end

---------------------------------------------------------------------------------------
-- The one way to wait: setup(wake) arranges for wake(...) to be called later; suspend
-- returns wake's arguments, or nil, message, "timeout" after timeout seconds (nil: no
-- limit): the library's one error shape (README.md, "Errors").
local TIMEOUT = {}
local step

local function suspend(setup, timeout)
  local task = loop.current()
  local done, result = false, nil
  local timer
  local function wake(...)
    if done then return end
    done = true
    if timer then timer:cancel() end
    if task then schedule(task, ...) else result = pack(...) end
  end
  if timeout then timer = loop.timer(timeout, function() wake(TIMEOUT) end) end
  setup(wake)
  if task then
    result = pack(coroutine.yield())
  else
    local function is_done() return done end
    while not done do
      if not step(nil, is_done) and not done then
        error("bc260y.loop: waiting for something that can never happen (no fd, timer or task)", 2)
      end
    end
  end
  if result[1] == TIMEOUT then return nil, ("nothing within %g s"):format(timeout), "timeout" end
  return unpack(result, 1, result.n)
end

function loop.sleep(s)
  check_arg(type(s) == "number", "sleep: seconds must be a number")
  suspend(function(wake) loop.timer(s, wake) end)
end

---------------------------------------------------------------------------------------
-- fd readiness
local Watch = {}
Watch.__index = Watch

local writer_fds = 0     -- how many fds writers holds

local function refresh_solo()
  solo = false
  if reader_fds == 1 and writer_fds == 0 then
    local fd, list = next(readers)
    if not list[2] then solo = fd end
  end
end

-- Tells the poller what the loop wants of fd now (readers, writers or nothing), and
-- keeps solo true to the watched sets.
local function interest(fd)
  refresh_solo()
  local want = readers[fd] ~= nil or writers[fd] ~= nil
  local ok, msg, code = poller:set(fd, readers[fd] ~= nil, writers[fd] ~= nil)
  if ok then
    unpollable[fd] = nil
  elseif code == "unpollable" then
    unpollable[fd] = want or nil
  else
    error(("bc260y.loop: cannot watch fd %d: %s"):format(fd, tostring(msg)), 3)
  end
end

function Watch:cancel()
  local list = readers[self.fd]
  if not list then return end
  for i = #list, 1, -1 do
    if list[i] == self then table.remove(list, i) end
  end
  if #list == 0 then
    readers[self.fd] = nil
    reader_fds = reader_fds - 1
    interest(self.fd)
  else
    refresh_solo()
  end
end

function loop.watch(fd, fn)
  check_arg(math.type(fd) == "integer", "watch: fd must be an integer")
  check_arg(type(fn) == "function", "watch: fn must be a function")
  local h = setmetatable({fd = fd, fn = fn}, Watch)
  local list = readers[fd]
  if not list then
    list = {}
    readers[fd] = list
    reader_fds = reader_fds + 1
  end
  list[#list + 1] = h
  -- Every time, not only for a new fd: the number may belong to a file opened since.
  interest(fd)
  return h
end

-- An fd the loop reads when it is ready but never waits for: the stop signals' pipe
-- (bc260y.shutdown). It is in the poller, so that a signal ends any wait at once, yet
-- outside readers: a wait with nothing else to wait for still fails as one that can never
-- end, and the Modem's fast path still blocks on its port alone (a signal that comes
-- during that round trip is read when the round trip returns).
local Background = {}
Background.__index = Background
function Background:cancel()
  if background[self.fd] ~= self.fn then return end
  background[self.fd] = nil
  poller:set(self.fd, false, false)
end

function loop.watch_background(fd, fn)
  check_arg(math.type(fd) == "integer", "watch_background: fd must be an integer")
  check_arg(type(fn) == "function", "watch_background: fn must be a function")
  check_arg(readers[fd] == nil and writers[fd] == nil, "watch_background: fd is watched already")
  local ok, msg = poller:set(fd, true, false)
  if not ok then error(("bc260y.loop: cannot watch fd %d: %s"):format(fd, tostring(msg)), 2) end
  background[fd] = fn
  return setmetatable({fd = fd, fn = fn}, Background)
end

function loop.wait_writable(fd, timeout)
  check_arg(math.type(fd) == "integer", "wait_writable: fd must be an integer")
  local waiter
  local ok, err, code = suspend(function(wake)
    waiter = wake
    local list = writers[fd]
    if not list then
      list = {}
      writers[fd] = list
      writer_fds = writer_fds + 1
      interest(fd)
    end
    list[#list + 1] = wake
  end, timeout)
  if not ok then -- timed out: forget the waiter
    local list = writers[fd]
    for i = #(list or {}), 1, -1 do
      if list[i] == waiter then table.remove(list, i) end
    end
    if list and #list == 0 then
      writers[fd] = nil
      writer_fds = writer_fds - 1
      interest(fd)
    end
    return nil, err, code
  end
  return true
end

---------------------------------------------------------------------------------------
-- signals and futures
local Signal = {}
Signal.__index = Signal
function Signal:wait(timeout)
  local waiters = self.waiters
  local entry
  local r = pack(suspend(function(wake)
    entry = wake
    waiters[#waiters + 1] = wake
  end, timeout))
  for i = #waiters, 1, -1 do
    if waiters[i] == entry then table.remove(waiters, i) end
  end
  return unpack(r, 1, r.n)
end
function Signal:notify(...)
  local waiters = self.waiters
  self.waiters = {}
  for _, wake in ipairs(waiters) do wake(...) end
end
function loop.signal() return setmetatable({waiters = {}}, Signal) end

local Future = {}
Future.__index = Future
function Future:set(...)
  if self.values then return false end
  self.values = pack(...)
  self.signal:notify(...)
  return true
end
function Future:get(timeout)
  if self.values then return unpack(self.values, 1, self.values.n) end
  return self.signal:wait(timeout)
end
function Future:is_set() return self.values ~= nil end
function loop.future() return setmetatable({signal = loop.signal()}, Future) end

---------------------------------------------------------------------------------------
-- releases asked for by finalizers
--
-- A __gc metamethod runs at whatever allocation triggered the collection, perhaps in the
-- middle of a heap push or a watcher list's update here, so it must not cancel a watch or
-- a timer itself. It hands a function to loop.release instead, and the loop runs it at
-- its next step, from a known state. (Lua runs no collection inside a finalizer, so the
-- append below cannot be interrupted by another one.)
local releases = {}

function loop.release(fn)
  releases[#releases + 1] = fn
end

local function run_releases()
  while releases[1] do
    local batch = releases
    releases = {}
    for i = 1, #batch do pcall(batch[i]) end
  end
end

-- Runs the releases asked for so far, now (bc260y.open: a port a dropped Modem held is
-- free again before it is opened anew).
loop.run_releases = run_releases

---------------------------------------------------------------------------------------
-- the loop itself
local function run_runnable()
  local batch = runnable
  local n = #batch
  if n == 0 then return end
  runnable = {}
  for i = 1, n do
    local entry = batch[i]
    local task = entry[1]
    batch_left = n - i
    if not task.done then
      local ok, err = pcall(resume, task, entry[2])
      if not ok then
        -- An unprotected task failed: keep the rest of the batch for the next step,
        -- then let the error reach run()/step()'s caller.
        batch_left = 0
        local rest = table.move(batch, i + 1, n, 1, {})
        runnable = table.move(runnable, 1, #runnable, #rest + 1, rest)
        error(err, 0)
      end
    end
  end
  batch_left = 0
end

local function fire_timers()
  local t = now()
  while true do
    local at = next_deadline()
    if not at or at > t then break end
    local h = heap_pop()
    h.fired = true
    h.fn()
  end
end

-- One iteration: runs ready tasks, then polls for at most timeout seconds (nil: until
-- something happens) and dispatches fds and timers. Returns false when there is nothing
-- that could ever happen. stop (optional): when the ready tasks made it true, return at
-- once instead of blocking in poll for something nobody waits for any more.
local function fire_readers(fd)
  local list = readers[fd]
  if not list then
    local fn = background[fd]
    if fn then fn(fd) end
    return
  end
  if not list[2] then return list[1].fn(fd) end
  for _, h in ipairs({table.unpack(list)}) do h.fn(fd) end
end

local function fire_writers(fd)
  local list = writers[fd]
  if not list then return end
  writers[fd] = nil
  writer_fds = writer_fds - 1
  interest(fd)
  for _, wake in ipairs(list) do wake(true) end
end

-- The body of step (step keeps may_block around it).
local function step_body(timeout, stop)
  run_releases()
  run_runnable()
  if stop and stop() then return true end
  local deadline = next_deadline()
  local wait = timeout
  if #runnable > 0 or next(unpollable) or releases[1] then
    wait = 0
  elseif deadline then
    local until_timer = math.max(deadline - now(), 0)
    wait = wait and math.min(wait, until_timer) or until_timer
  end
  if wait == nil and reader_fds == 0 and writer_fds == 0 then return false end
  waits = waits + 1
  local n = poller:wait(wait, ready)
  for i = 1, 2 * n, 2 do
    local fd, flags = ready[i], ready[i + 1]
    if flags & 1 ~= 0 then fire_readers(fd) end
    if flags & 2 ~= 0 then fire_writers(fd) end
  end
  for fd in pairs(unpollable) do
    fire_readers(fd)
    fire_writers(fd)
  end
  fire_timers()
  run_runnable()
  return true
end

step = function(timeout, stop)
  local outer = may_block
  may_block = timeout == nil
  local r = step_body(timeout, stop)
  may_block = outer
  return r
end
loop.step = step

-- Poller waits so far (the specs count the wakeups of an idle loop with it).
function loop.waits() return waits end

-- For the Modem's fast path (bc260y.modem.command): may the process block on fd alone
-- now, in a C call that waits for it? True, and the next timer's deadline (nil: none)
-- that bounds the wait, when no task is runnable, fd is the only fd watched (by one
-- watcher), nothing waits to write, and blocking is allowed: outside any step, or in a
-- step run by run() or a blocking wait; never in a step(0) another loop drives.
function loop.exclusive(fd)
  if solo ~= fd or not may_block or runnable[1] or batch_left > 0 then return false end
  local t = timers[1]
  if not t then return true end
  if t.cancelled then return true, next_deadline() end
  return true, t.at
end

-- The fds the loop watches and the time of its next timer, for an outer loop. Releases
-- that finalizers asked for run first: a dropped Modem's port is already closed, and an
-- outer loop must not be handed its fd to watch.
function loop.pollables()
  run_releases()
  local rfds, wfds = {}, {}
  for fd in pairs(readers) do rfds[#rfds + 1] = fd end
  for fd in pairs(writers) do wfds[#wfds + 1] = fd end
  return rfds, wfds, next_deadline()
end

-- True when a task is runnable now: an outer loop must call step(0) again before it
-- waits (pollables() gives fds and timers only; a task woken by the last step runs in
-- the next one).
function loop.ready() return #runnable > 0 or releases[1] ~= nil end

function loop.run(fn, ...)
  if loop.current() then return fn(...) end -- already inside the loop
  -- Outside any task: no step runs (an error that escaped one may have left may_block
  -- as that step had it).
  if not current then may_block = true end
  local results
  local main = loop.spawn(function(...) results = pack(fn(...)) end, ...)
  local function finished() return main.done and alive == 0 end
  while not finished() do
    if not step(nil, finished) then
      if alive > 0 then
        error(("bc260y.loop: %d task(s) wait for something that can never happen"):format(alive), 2)
      end
      break
    end
  end
  return unpack(results, 1, results.n)
end

return loop
