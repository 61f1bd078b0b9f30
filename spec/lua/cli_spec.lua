-- cli_spec: what a person meets at the command line. Every subcommand takes --help; an
-- error is one line on stderr and a non-zero exit, the traceback only with --debug;
-- --lang zh (or BC260Y_LANG, or a Chinese LANG) speaks Chinese; `sim --trace` prints the
-- library's readable "[seconds] --> line" form.
local lu = require("luaunit")
local core = require("bc260y.core")
local h = require("helpers")

local BINARY = os.getenv("BC260Y_BINARY_DIR") or "build"
local CLI = BINARY .. "/bin/bc260y"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- Runs the CLI with a clean language environment; returns status, stdout, stderr.
local function cli(args, env)
  local errf = os.tmpname()
  local p = assert(io.popen(("env -u BC260Y_LANG -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 %s %s %s 2>%s")
    :format(env or "", CLI, args, errf), "r"))
  local out = p:read("a")
  local _, _, status = p:close()
  local err = slurp(errf)
  os.remove(errf)
  return status, out, err
end

local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

TestCliPolish = {}

function TestCliPolish:test_every_subcommand_takes_help()
  for _, sub in ipairs({"run", "sim", "console", "ports", "demo"}) do
    local status, out, err = cli(sub .. " --help")
    lu.assertEquals(status, 0, sub .. ": " .. err)
    lu.assertStrContains(out, "usage: bc260y " .. sub)
    lu.assertEquals(err, "")
  end
end

-- --version names the version core.so was built as: the one CMakeLists.txt's project() gives.
function TestCliPolish:test_version_is_the_projects()
  local cmake = slurp((os.getenv("BC260Y_SOURCE_DIR") or ".") .. "/CMakeLists.txt")
  local want = cmake:match("project%(bc260y VERSION ([%d%.]+)")
  lu.assertNotNil(want, "project() version in CMakeLists.txt")
  local status, out = cli("--version")
  lu.assertEquals(status, 0)
  lu.assertEquals(out, ("bc260y %s (Lua 5.4)\n"):format(want))
end

function TestCliPolish:test_an_error_is_one_line_and_a_non_zero_exit()
  local cases = {
    {"frobnicate", 2, "unknown command 'frobnicate'"},
    {"run", 2, "which script"},
    {"run x.lua --bogus", 2, "unknown option --bogus"},
    {"run /no/such/script.lua", 1, "cannot open /no/such/script.lua"},
    {"console --bogus", 2, "unknown option --bogus"},
    {"console --lang fr", 2, "en or zh"},
    {"console /dev/ttyUSB0 --speed 5", 2, "--speed only applies to the virtual module"},
    {"sim --bogus", 2, "unknown option --bogus"},
    {"demo --bogus", 2, "unknown argument --bogus"},
    {"ports extra", 2, "unknown option extra"},
  }
  for _, c in ipairs(cases) do
    local status, _, err = cli(c[1])
    lu.assertEquals(status, c[2], c[1] .. ": " .. err)
    lu.assertEquals(#lines(err), 1, c[1] .. ":\n" .. err)
    lu.assertStrContains(err, c[3])
  end
end

-- An install without the virtual module (BC260Y_INSTALL_SIM=OFF): `bc260y demo` says so in
-- one line before it starts, and nothing runs.
function TestCliPolish:test_demo_without_the_virtual_module_is_one_clear_line()
  local src = os.getenv("BC260Y_SOURCE_DIR") or "."
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute(("mkdir -p %s/bc260y && cp -r %s/lua/bc260y/. %s/bc260y/ && rm -rf %s/bc260y/sim")
    :format(dir, src, dir, dir)))
  local errf = os.tmpname()
  local p = assert(io.popen(("env -u BC260Y_LANG LANG=C.UTF-8 LUA_PATH='%s/?.lua;%s/?/init.lua' " ..
    "LUA_CPATH='%s/lua/?.so' %s %s/lua/bin/bc260y demo --quiet 2>%s")
    :format(dir, dir, BINARY, "lua5.4", src, errf), "r")) -- lua5.4 from PATH, as the CLI's #! line
    -- finds it (under qemu-user that is the emulator's wrapper, not arg[-1]'s foreign binary)
  local out = p:read("a")
  local _, _, status = p:close()
  local err = slurp(errf)
  os.remove(errf)
  os.execute("rm -rf " .. dir)
  lu.assertEquals(status, 1)
  lu.assertEquals(#lines(err), 1, err)
  lu.assertStrContains(err, "bc260y demo: the demo needs the virtual module (bc260y.sim)")
  lu.assertEquals(out, "")
end

function TestCliPolish:test_a_failing_script_is_one_line_and_debug_shows_the_traceback()
  local status, _, err = cli("run " .. (os.getenv("BC260Y_SOURCE_DIR") or ".") ..
    "/examples/ctwing_aep.lua --port /dev/bc260y-no-such-port")
  lu.assertEquals(status, 1)
  lu.assertEquals(#lines(err), 1, err)
  lu.assertStrContains(err, "/dev/bc260y-no-such-port")
  lu.assertNotStrContains(err, "traceback")
  status, _, err = cli("--debug run " .. (os.getenv("BC260Y_SOURCE_DIR") or ".") ..
    "/examples/ctwing_aep.lua --port /dev/bc260y-no-such-port")
  lu.assertEquals(status, 1)
  lu.assertStrContains(err, "stack traceback")
end

function TestCliPolish:test_chinese_from_lang_option_and_environment()
  local _, _, err = cli("--lang zh frobnicate")
  lu.assertStrContains(err, "未知命令 'frobnicate'")
  _, _, err = cli("frobnicate", "BC260Y_LANG=zh")
  lu.assertStrContains(err, "未知命令")
  _, _, err = cli("frobnicate", "LANG=zh_CN.UTF-8")
  lu.assertStrContains(err, "未知命令")
  _, _, err = cli("frobnicate", "BC260Y_LANG=en LANG=zh_CN.UTF-8")
  lu.assertStrContains(err, "unknown command")
  local _, out = cli("--lang zh --help")
  lu.assertStrContains(out, "用法: bc260y")
  for _, sub in ipairs({"run", "sim", "console", "ports", "demo"}) do
    _, out = cli("--lang zh " .. sub .. " --help")
    lu.assertStrContains(out, "用法: bc260y " .. sub)
  end
  _, _, err = cli("--lang zh sim --bogus")
  lu.assertStrContains(err, "未知选项 --bogus")
  _, _, err = cli("--lang zh demo --bogus")
  lu.assertStrContains(err, "未知参数 --bogus")
end

-- A console reads commands from a pipe too, one per line, and explains the answers.
function TestCliPolish:test_console_reads_a_pipe()
  local inf = os.tmpname()
  local f = assert(io.open(inf, "w"))
  f:write('ATI\nAT+NCDPOPEN="221.229.214.202",5683\n:wait 3\nAT+QLWULDATASTATUS?\nhelp NNMI\n')
  f:close()
  local status, out, err = cli("console --speed 20 < " .. inf)
  os.remove(inf)
  lu.assertEquals(status, 0, err)
  lu.assertStrContains(out, "Revision: ")
  lu.assertStrContains(out, "waiting for registration (+QLWEVTIND: 0 and 3)  0 s (up to 126 s)\n")
  lu.assertStrContains(out, "+QLWEVTIND: 3\n    ↳ object 19/0/0 observed")
  lu.assertStrMatches(out, ".*registration %(%+QLWEVTIND: 0 and 3%): done after %d+%.%d s\n.*")
  lu.assertStrContains(out, "+QLWULDATASTATUS: 0\n    ↳ no CON data sent yet")
  lu.assertStrContains(out, "AT+NNMI=<status>")
  lu.assertNil(out:find("\27", 1, true), "no terminal control sequences in a pipe")
end

function TestCliPolish:test_sim_trace_prints_the_readable_form()
  local errf = os.tmpname()
  local p = assert(io.popen(("sh -c 'echo $$; exec %s sim --trace --speed 20 2>%s'"):format(CLI, errf), "r"))
  local pid = p:read("l")
  local path = p:read("l")
  local port = assert(core.open_port(path))
  local got = ""
  local function wait_for(text, t)
    local found
    got, found = h.read_until(port, got, text, t)
    return found
  end
  lu.assertTrue(wait_for("+IP:", 5), got)
  assert(port:write("AT+CGSN=1\r"))
  lu.assertTrue(wait_for("OK\r\n", 5), got)
  port:close()
  os.execute("kill -INT " .. pid)
  p:read("a")
  p:close()
  local trace = slurp(errf)
  os.remove(errf)
  lu.assertStrMatches(trace, ".*\n%[%s*%d+%.%d%d%d%] <%-%- %+IP: [%d%.]+\n.*")
  lu.assertStrMatches(trace, ".*\n%[%s*%d+%.%d%d%d%] %-%-> AT%+CGSN=1\n.*")
  lu.assertStrMatches(trace, ".*\n%[%s*%d+%.%d%d%d%] <%-%- %+CGSN: %d+\n.*")
  lu.assertNotStrContains(trace, "\\r")
end

-- The module's bytes never reach the terminal raw: a title change, a screen clear and a
-- colour code printed by the module (or line noise) are shown escaped, on stdout as in
-- the log; and the log keeps no PSK, typed or passed to :lua, is created 0600, and is
-- never a symbolic link's target or a FIFO.
local SESSION = table.concat({
  'AT+NCDPOPEN="127.0.0.1",5683,"00112233445566778899AABBCCDDEEFF"',
  ':lua m:connect{host = "127.0.0.1", psk = "A1A2A3A4A5A6A7A8A9AAABACADAEAFB0"}',
  [[:lua m.sim.faults:garbage("\r\n\27]0;pwned\7\27[2J+CME ERROR: \27[31mred\r\n")]],
  "ATI", ""}, "\n")

local function console_session(log)
  local inf = os.tmpname()
  local f = assert(io.open(inf, "w"))
  f:write(SESSION)
  f:close()
  local status, out, err = cli("console --speed 50 --log " .. log .. " < " .. inf)
  os.remove(inf)
  return status, out, err
end

function TestCliPolish:test_console_escapes_the_modules_bytes_and_keeps_no_secret()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -m 700 " .. dir))
  local log = dir .. "/session.log"
  local status, out, err = console_session(log)
  lu.assertEquals(status, 0, err)
  lu.assertStrContains(out, "Revision: ") -- the session went on after the garbage
  for _, text in ipairs({out, slurp(log)}) do
    lu.assertNil(text:find("[\27\7]"), "a control byte reached the terminal or the log")
    lu.assertStrContains(text, "\\x1B]0;pwned\\x07\\x1B[2J+CME ERROR: \\x1B[31mred")
  end
  local logged = slurp(log)
  lu.assertStrContains(logged, "<psk:16 bytes>")
  lu.assertNil(logged:upper():find("00112233445566778899AABBCCDDEEFF", 1, true), "the typed PSK")
  lu.assertNil(logged:upper():find("A1A2A3A4A5A6A7A8A9AAABACADAEAFB0", 1, true), "the :lua PSK")
  local mode = io.popen("stat -c %a " .. log):read("l")
  lu.assertEquals(mode, "600")

  -- A symbolic link at the path: refused, its target untouched.
  local target, link = dir .. "/target", dir .. "/link.log"
  assert(io.open(target, "w")):close()
  assert(os.execute(("ln -s %s %s"):format(target, link)))
  status, _, err = console_session(link)
  lu.assertEquals(status, 1)
  lu.assertStrContains(err, "symbolic link")
  lu.assertEquals(slurp(target), "")
  -- A FIFO: refused at once (an open for writing would wait for a reader for ever).
  local fifo = dir .. "/fifo.log"
  assert(os.execute("mkfifo " .. fifo))
  status, _, err = console_session(fifo)
  lu.assertEquals(status, 1)
  lu.assertStrContains(err, "not a regular file")
  os.execute("rm -rf " .. dir)
end

os.exit(lu.LuaUnit.run(), true)
