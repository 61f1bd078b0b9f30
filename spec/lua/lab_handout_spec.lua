-- lab_handout_spec: the printable handouts build (docs/lab/handout.sh, what `make docs`
-- runs) and hold every exercise: each PDF has a page per exercise and its text, read back
-- with pdftotext, names every exercise's title in its own language (the Chinese one set in
-- a CJK font, or the titles would not come back). Skipped (status 77) when Chromium or
-- poppler-utils is missing: `make deps` installs both.
local lu = require("luaunit")

local SOURCE = os.getenv("BC260Y_SOURCE_DIR") or "."
local LAB = SOURCE .. "/docs/lab"

local function have(tool) return os.execute("command -v " .. tool .. " > /dev/null 2>&1") == true end
if not (have("chromium") or have("chromium-browser")) or not have("pdftotext") then
  io.stderr:write("lab_handout_spec: skipped: chromium or pdftotext (poppler-utils) is missing; make deps installs them\n")
  os.exit(77)
end

local function read(cmd)
  local p = assert(io.popen(cmd))
  local s = p:read("a")
  p:close()
  return s
end

local OUT = read("mktemp -d"):gsub("\n$", "")

TestLabHandout = {}

function TestLabHandout:test_each_language_prints_every_exercise()
  local log = read(("sh %s/handout.sh %s 2>&1; echo status=$?"):format(LAB, OUT))
  lu.assertStrContains(log, "status=0")
  for _, lang in ipairs({"en", "zh"}) do
    local pdf = ("%s/lab-handout.%s.pdf"):format(OUT, lang)
    local f = assert(io.open(pdf, "rb"))
    lu.assertEquals(f:read(5), "%PDF-")
    f:close()
    local text = read(("pdftotext %s -"):format(pdf))
    local pages = select(2, text:gsub("\f", ""))
    local titles = 0
    for path in read(("ls %s/%s/*.md"):format(LAB, lang)):gmatch("[^\n]+") do
      local title = assert(io.open(path)):read("l"):gsub("^# ", "")
      lu.assertStrContains(text, title, false, pdf .. " lacks " .. title)
      titles = titles + 1
    end
    lu.assertTrue(titles >= 11 and pages > titles, ("%s: %d pages for %d exercises"):format(pdf, pages, titles))
  end
end

local status = lu.LuaUnit.run()
os.execute("rm -rf " .. OUT)
os.exit(status, true)
