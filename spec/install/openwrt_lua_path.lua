-- openwrt_lua_path.lua ROOT LUA_ROOT MODULE...: requires each MODULE the way an OpenWrt
-- lua5.4 whose luaconf.h has LUA_ROOT (with ROOT, a staged root, in front) finds it, and
-- fails when one is not found there. Run by openwrt_root_test.sh with the host's lua5.4,
-- LUA_PATH/LUA_CPATH unset and an empty working directory.
--
-- The paths are Lua 5.4's defaults (luaconf.h, LUA_PATH_DEFAULT and LUA_CPATH_DEFAULT) as
-- OpenWrt's lua5.4 package compiles them: LUA_ROOT "/usr/local/" in OpenWrt 24.10
-- (openwrt/packages, branch openwrt-24.10, lang/lua5.4: no patch touches luaconf.h's
-- paths) and "/usr/" in master since lang/lua/lua5.4/patches/200-lua-path.patch
-- (openwrt/packages commit 3fe92e63f5, July 2026).
local root, lua_root = arg[1], arg[2]
local ldir = root .. lua_root .. "share/lua/5.4/"
local cdir = root .. lua_root .. "lib/lua/5.4/"
package.path = table.concat({ldir .. "?.lua", ldir .. "?/init.lua", cdir .. "?.lua", cdir .. "?/init.lua",
  "./?.lua", "./?/init.lua"}, ";")
package.cpath = table.concat({cdir .. "?.so", cdir .. "loadall.so", "./?.so"}, ";")

-- The adapters load their event library first; those are other packages (not staged
-- here): a stand-in for each, so the adapter's own file is what is checked.
local function stand_in() return setmetatable({}, {__index = function() return function() end end}) end
for _, lib in ipairs{"cqueues", "cqueues.condition", "luv", "uloop"} do package.preload[lib] = stand_in end

local failed = 0
for i = 3, #arg do
  local name = arg[i]
  local file = package.searchpath(name, package.path) or package.searchpath(name, package.cpath)
  local ok, err = pcall(require, name)
  if not ok then
    failed = failed + 1
    print(("FAIL: require %q: %s"):format(name, tostring(err):match("^[^\n]*")))
  elseif not file or file:sub(1, #root + #lua_root) ~= root .. lua_root then
    failed = failed + 1
    print(("FAIL: %s found at %s, not under %s"):format(name, tostring(file), lua_root))
  end
end
print(("%s: %d modules, %d not found"):format(lua_root, #arg - 2, failed))
os.exit(failed == 0 and 0 or 1)
