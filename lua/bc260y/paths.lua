-- bc260y.paths: where the files that are not modules (the examples) are, found from the
-- location of the CLI that runs: an install prefix (PREFIX/bin -> PREFIX/share/bc260y),
-- a LuaRocks rock (its bin/ -> its share/bc260y) or the source tree (lua/bin -> examples/),
-- so a staged (DESTDIR), moved or rock install finds its own files.
local paths = {}

local cli_dir -- the directory of the running CLI, set by the CLI itself

function paths.set_cli_dir(dir)
  cli_dir = dir
end

-- The directories that may hold the examples, best first.
function paths.example_dirs()
  local dirs = {}
  if cli_dir then
    dirs[#dirs + 1] = cli_dir .. "/../share/bc260y/examples"
    dirs[#dirs + 1] = cli_dir .. "/../../examples"
  end
  -- Without the CLI: relative to this file (PREFIX/share/lua/5.4/bc260y/paths.lua, or
  -- lua/bc260y/paths.lua in the source tree); stripped bytecode has no file name.
  local src = debug.getinfo(1, "S").source
  local here = src:sub(1, 1) == "@" and src:sub(2):match("^(.*)/[^/]*$")
  if here then
    dirs[#dirs + 1] = here .. "/../../../bc260y/examples"
    dirs[#dirs + 1] = here .. "/../../examples"
  end
  dirs[#dirs + 1] = "examples"
  return dirs
end

-- paths.example("ctwing_aep.lua") -> path | nil, message naming where it looked
function paths.example(name)
  local dirs = paths.example_dirs()
  for _, dir in ipairs(dirs) do
    local path = dir .. "/" .. name
    local f = io.open(path, "r")
    if f then
      f:close()
      return path
    end
  end
  return nil, ("examples/%s not found (looked in %s)"):format(name, table.concat(dirs, ", "))
end

-- One word for /bin/sh, whatever it holds (a path with spaces, quotes or `$`).
function paths.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

return paths
