-- bc260y.i18n: the language a person reads (English by default, Chinese on request) and
-- the lookup in the message catalogue (bc260y.messages). The language comes from, first
-- to last: i18n.set() (the CLI's --lang), BC260Y_LANG, then LC_ALL, LC_MESSAGES or LANG
-- when the first of them that is set names a Chinese locale (zh_CN.UTF-8, zh_TW...).
--
--   i18n.lang() -> "en" | "zh"          i18n.set(lang)   (nil: back to the environment)
--   i18n.t(key, ...) -> the catalogue's text for key in the current language, formatted
--   i18n.pick({en=, zh=}[, lang]) -> the text of one entry
local i18n = {}

local chosen = nil -- set by i18n.set; nil: from the environment

-- "en", "zh" or nil for a language name or a locale.
function i18n.normalise(s)
  if type(s) ~= "string" then return nil end
  local l = s:lower()
  if l == "en" or l == "english" or l:match("^en[_%-.]") or l == "c" or l == "posix" then return "en" end
  if l == "zh" or l == "chinese" or l:match("^zh[_%-.]") or s == "中文" then return "zh" end
  return nil
end

-- The language the environment asks for (getenv is os.getenv unless a test passes one).
function i18n.detect(getenv)
  getenv = getenv or os.getenv
  local own = getenv("BC260Y_LANG")
  if own and own ~= "" then
    local l = i18n.normalise(own)
    if l then return l end
  end
  for _, var in ipairs({"LC_ALL", "LC_MESSAGES", "LANG"}) do
    local v = getenv(var)
    if v and v ~= "" then return i18n.normalise(v) == "zh" and "zh" or "en" end
  end
  return "en"
end

function i18n.lang() return chosen or i18n.detect() end

function i18n.set(lang)
  if lang == nil then chosen = nil; return end
  local l = i18n.normalise(lang)
  if not l then error(("unknown language '%s' (en or zh)"):format(tostring(lang)), 2) end
  chosen = l
end

function i18n.pick(entry, lang)
  if type(entry) ~= "table" then return entry end
  return entry[lang or i18n.lang()] or entry.en
end

local catalogue
function i18n.t(key, ...)
  catalogue = catalogue or require("bc260y.messages")
  local entry = catalogue[key]
  if not entry then error("i18n: no message '" .. tostring(key) .. "'", 2) end
  local text = i18n.pick(entry)
  if select("#", ...) > 0 then return text:format(...) end
  return text
end

return i18n
