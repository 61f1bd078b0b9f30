#!/bin/sh
# exports_test.sh LIB MAP HEADER_DIR CC: libbc260y.so exports exactly what its installed
# headers declare, and every name a C or C++ program sees carries the library's prefix.
#   1. `nm -D` of LIB lists the names of MAP (cmake/libbc260y.map), no more, no fewer;
#   2. each of them is declared in a header of HEADER_DIR, and every function or table the
#      headers declare is among them (read from the preprocessed headers, at file scope);
#   3. every exported name, typedef, tag, enumerator and macro of the headers starts with
#      bc_ / BC_ (the include guards BC260Y_*_H aside): nothing generic such as `port`.
set -eu
lib=$1 map=$2 headers=$(cd "$3" && pwd) cc=$4
work=$(mktemp -d)
export work
trap 'rm -rf "$work"' EXIT
fail=0
problem() { echo "$*"; fail=1; }

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort -u > "$work/exported"
sed -n 's/^ *\(bc_[A-Za-z0-9_]*\);$/\1/p' "$map" | sort -u > "$work/listed"
[ -s "$work/exported" ] || problem "nm -D found no exported names in $lib"
comm -23 "$work/exported" "$work/listed" | sed 's/^/exported but not in the map: /' > "$work/extra"
comm -13 "$work/exported" "$work/listed" | sed 's/^/in the map but not exported: /' >> "$work/extra"
[ ! -s "$work/extra" ] || { cat "$work/extra"; fail=1; }
grep -v '^bc_' "$work/exported" | sed 's/^/exported without the bc_ prefix: /' > "$work/unprefixed"
[ ! -s "$work/unprefixed" ] || { cat "$work/unprefixed"; fail=1; }

# The headers' own declarations, read from the preprocessed headers (system headers' lines
# left out): at file scope, each function and extern table; and every name a program's own
# names could clash with: typedefs, struct/enum tags, enumerators, macros.
for h in "$headers"/*.h; do echo "#include \"$h\""; done > "$work/all.c"
"$cc" -E "$work/all.c" > "$work/all.i"
cat "$headers"/*.h > "$work/text"
perl -e '
  my ($hdir, $i, $text) = @ARGV;
  open my $f, "<", $i or die; my ($ours, $src) = (0, "");
  while (<$f>) {
    if (/^# \d+ "([^"]*)"/) { $ours = index($1, $hdir) == 0; next }
    $src .= $_ if $ours;
  }
  my (%declared, %names);
  # enumerators and tags, wherever they are
  while ($src =~ /\benum\s*(\w*)\s*\{([^}]*)\}/g) {
    $names{$1} = 1 if $1;
    for (split /,/, $2) { $names{$1} = 1 if /^\s*(\w+)/ }
  }
  $names{$1} = 1 while $src =~ /\b(?:struct|union)\s+(\w+)/g;
  # top-level statements: drop brace bodies, then split on ";"
  (my $flat = $src) =~ s/\s+/ /g;
  1 while $flat =~ s/\{[^{}]*\}/ /g;
  for my $st (split /;/, $flat) {
    if ($st =~ /^\s*typedef\b/) {
      if ($st =~ /\(\s*\*\s*(\w+)\s*\)/ || $st =~ /(\w+)\s*(?:\[[^\]]*\])?\s*$/) { $names{$1} = 1 }
      next;
    }
    if ($st =~ /(\w+)\s*\((?!\s*\*)/) { $declared{$1} = 1 }
    elsif ($st =~ /^\s*extern\b.*?(\w+)\s*(?:\[\s*\])?\s*$/) { $declared{$1} = 1 }
  }
  open my $t, "<", $text or die;
  while (<$t>) { $names{$1} = 1 if /^\s*#\s*define\s+(\w+)/ && $1 !~ /^BC260Y_\w+_H$/ }
  open my $d, ">", "$ENV{work}/declared"; print $d "$_\n" for sort keys %declared;
  open my $n, ">", "$ENV{work}/names"; print $n "$_\n" for sort keys %names, keys %declared;
' "$headers/" "$work/all.i" "$work/text"
sort -u -o "$work/declared" "$work/declared"
comm -3 "$work/declared" "$work/listed" |
  sed 's/^\t/listed (exported) but not declared in a header: /; t; s/^/declared in a header but not exported: /' \
  > "$work/mismatch"
[ ! -s "$work/mismatch" ] || { cat "$work/mismatch"; fail=1; }
sort -u "$work/names" | grep -vE '^(bc_|BC_)' | sed 's/^/a public name without the bc_ prefix: /' \
  > "$work/unprefixed_names" || true
[ ! -s "$work/unprefixed_names" ] || { cat "$work/unprefixed_names"; fail=1; }

[ "$fail" -eq 0 ] || exit 1
echo "$(wc -l < "$work/exported") exported names, all declared in the headers; $(sort -u "$work/names" | wc -l) public names, all bc_* / BC_*"
