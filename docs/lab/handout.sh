#!/bin/sh
# docs/lab/handout.sh OUTDIR: the lab's printable handouts, OUTDIR/lab-handout.en.pdf and
# OUTDIR/lab-handout.zh.pdf (docs/lab/handout.lua writes the HTML, headless Chromium prints
# it; the Chinese one needs a CJK font: fonts-wqy-microhei). `make docs` runs it into
# build/docs; spec/lua/lab_handout_spec.lua runs it and reads the PDFs back.
set -e
out=${1:?usage: handout.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "handout.sh: chromium not found (make deps installs it)" >&2; exit 77; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
for lang in en zh; do
  lua5.4 "$here/handout.lua" "$lang" > "$out/lab-handout.$lang.html"
  # a profile of its own: no state shared with a browser the user runs; no background
  # networking and no host name resolves: printing a local file sends nothing anywhere.
  # Not under a sanitizer build's preloaded runtime (meant for lua5.4: Chromium hangs in it).
  profile=$(mktemp -d)
  env -u LD_PRELOAD -u ASAN_OPTIONS "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-default-apps --disable-domain-reliability --no-pings \
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
    --no-pdf-header-footer --print-to-pdf="$out/lab-handout.$lang.pdf" \
    "file://$out/lab-handout.$lang.html" > /dev/null 2>&1
  rm -rf "$profile"
  [ -s "$out/lab-handout.$lang.pdf" ] || { echo "handout.sh: chromium wrote no $lang PDF" >&2; exit 1; }
done
