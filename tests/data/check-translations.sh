#!/bin/sh
# Every translatable string in the sources has a German translation: extract
# the strings afresh (as `ninja vitrine-pot` does), merge them into de.po and
# count what is untranslated or fuzzy. Fails on any.
set -eu
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$source_dir"
xgettext --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
  --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --files-from=po/POTFILES.in --output="$work/vitrine.pot" 2>"$work/xgettext.log" || {
  cat "$work/xgettext.log"; exit 1; }
msgmerge --quiet --no-fuzzy-matching --output-file="$work/de.po" po/de.po "$work/vitrine.pot"
msgfmt --check --statistics --output-file=/dev/null "$work/de.po" 2>"$work/stats"
cat "$work/stats"
if grep -qE "untranslated|fuzzy" "$work/stats"; then
  echo "po/de.po is incomplete: run 'ninja -C build vitrine-update-po' and translate the new strings" >&2
  exit 1
fi
