-- docs/lab/handout.lua: the lab's printable handout in one language, as one self-contained
-- HTML page (the cover, then every exercise of docs/lab/<lang>/ in order, the figures
-- inlined), which docs/lab/handout.sh prints to PDF with headless Chromium (make docs).
-- Only the markdown the lab's pages use is understood: headings, paragraphs, lists, fenced
-- code, images on a line of their own, links, **bold** and `code`.
--   lua5.4 docs/lab/handout.lua en|zh > handout.html     (run from the source tree)
local lang = arg[1]
if lang ~= "en" and lang ~= "zh" then io.stderr:write("usage: handout.lua en|zh\n"); os.exit(2) end
local LAB = arg[0]:match("^(.*)/[^/]*$") or "."

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function esc(s) return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end

local function inline(s)
  s = esc(s)
  s = s:gsub("`([^`]+)`", "<code>%1</code>")
  s = s:gsub("%*%*(.-)%*%*", "<b>%1</b>")
  s = s:gsub("%[([^%]]+)%]%(([^)]+)%)", "%1") -- links: the text (paper has no links)
  return s
end

-- One page of markdown -> HTML (the figures' SVG inlined from docs/lab/figures).
local function page(md, dir)
  local out, para, list = {}, {}, nil
  local function flush()
    if #para > 0 then out[#out + 1] = "<p>" .. inline(table.concat(para, " ")) .. "</p>"; para = {} end
    if list then out[#out + 1] = "</" .. list .. ">"; list = nil end
  end
  local code = nil
  for line in (md .. "\n"):gmatch("(.-)\n") do
    if code then
      if line:match("^```") then
        out[#out + 1] = "<pre>" .. esc(table.concat(code, "\n")) .. "</pre>"
        code = nil
      else
        code[#code + 1] = line
      end
    elseif line:match("^```") then
      flush(); code = {}
    elseif line:match("^<!%-%-") then
      -- a marker for the tests: not printed
    elseif line:match("^#+ ") then
      flush()
      local hashes, text = line:match("^(#+) (.*)$")
      out[#out + 1] = ("<h%d>%s</h%d>"):format(#hashes, inline(text), #hashes)
    elseif line:match("^!%[.*%]%([^()]*%)$") then
      flush()
      local src = line:match("%(([^()]*)%)$")
      out[#out + 1] = '<div class="figure">' .. slurp(dir .. "/" .. src):gsub("^<%?xml.-%?>", "") .. "</div>"
    elseif line:match("^%d+%. ") or line:match("^%- ") then
      local kind = line:match("^%d") and "ol" or "ul"
      if #para > 0 or (list and list ~= kind) then flush() end
      if not list then out[#out + 1] = "<" .. kind .. ">"; list = kind end
      out[#out + 1] = "<li>" .. inline(line:gsub("^%d+%. ", ""):gsub("^%- ", "")) .. "</li>"
    elseif line == "" then
      flush()
    elseif list then
      out[#out] = out[#out]:gsub("</li>$", " " .. inline(line) .. "</li>")
    else
      para[#para + 1] = line
    end
  end
  flush()
  return table.concat(out, "\n")
end

-- (the directory quoted for the shell: a checkout's path may hold spaces)
local p = assert(io.popen("ls '" .. (LAB .. "/" .. lang):gsub("'", "'\\''") .. "'/*.md"))
local pages = {}
for path in p:lines() do pages[#pages + 1] = path end
p:close()
table.sort(pages)

local COVER = {
  en = {title = "bc260y lab: the BC260Y-CN and China Telecom's platforms with no boards",
        text = "Exercises on the virtual module. Build with make; every exercise starts in build/bin/bc260y console and ends with questions. Solutions: docs/lab/solutions/."},
  zh = {title = "bc260y 实验:无需开发板的 BC260Y-CN 与中国电信物联网平台",
        text = "基于虚拟模块的实验。用 make 编译;每个实验先在 build/bin/bc260y console 中操作,最后回答思考题。参考答案:docs/lab/solutions/。"},
}
local body = {("<h1 class=\"cover\">%s</h1><p>%s</p>"):format(esc(COVER[lang].title), esc(COVER[lang].text))}
for _, path in ipairs(pages) do
  body[#body + 1] = '<section>' .. page(slurp(path), path:match("^(.*)/[^/]*$")) .. "</section>"
end
io.write(([[<!DOCTYPE html>
<html lang="%s"><head><meta charset="utf-8"><title>%s</title>
<style>
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; font-size: 10.5pt; margin: 0; }
h1 { font-size: 16pt; } h1.cover { font-size: 20pt; margin-top: 30%%; }
h2 { font-size: 12.5pt; margin-top: 1.2em; }
section { page-break-before: always; }
pre { background: #f4f4f4; padding: 6px; font-size: 8.5pt; white-space: pre-wrap; }
code { font-size: 9pt; }
.figure svg { max-width: 100%%; height: auto; }
</style></head><body>
%s
</body></html>
]]):format(lang, esc(COVER[lang].title), table.concat(body, "\n")))
