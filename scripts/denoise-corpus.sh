#!/bin/bash
# Fetch the denoiser's speech and noise from Debian packages and lay them out
# by split and source, for training (gan-train denoise --set speech_extra=,
# noise_extra=), model selection (dev) and the leave-source-out test set
# (gan-train denoise --set make_eval=..., eval_speech=, eval_noise=).
#
#   scripts/denoise-corpus.sh DIR
#
# The split is by SOURCE (whole package), chosen before any training, and
# written down in docs/denoise.md ("Data"):
#   DIR/train/speech/<source>/...      DIR/train/noise/<category>/<source>/...
#   DIR/dev/speech/<source>/...        DIR/dev/noise/<category>/<source>/...
#   DIR/test/speech/<source>/...       DIR/test/noise/<category>/<source>/...
# ../shared/data is read in place by the recipe (its held-out files, listed
# in tools/train/dn_data.c, are the development set's shared part).
# Files are copied as the packages ship them (Ogg Vorbis or WAV); gan-train
# decodes and caches them. Each source's copyright file is copied beside it.
# Needs apt-get (download only, nothing is installed) and dpkg-deb.
set -eu
dir=${1:?usage: denoise-corpus.sh DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/deb" "$dir/x"
dir=$(cd "$dir" && pwd)
cd "$dir"

pkgs="bucklespring-data hedgewars-data warmux-data supertux-data
  freedroidrpg-data scorched3d-data naev-data extremetuxracer-data
  lincity-ng-data tuxpaint-data frozen-bubble-data fillets-ng-data-cs
  asterisk-prompt-it-menardi-wav wesnoth-1.16-data
  fillets-ng-data-nl ktuberling-data alsa-utils megaglest-data torcs-data
  xmoto-data asterisk-moh-opsound-wav flightgear-data-base"

# unpack only the audio and the copyright files of a package
unpack () {
  local p=$1
  [ -d "x/$p" ] && return 0
  ls deb/${p}_*.deb > /dev/null 2>&1 || (cd deb && apt-get download "$p")
  rm -rf "x/$p.tmp"
  mkdir -p "x/$p.tmp"
  # tar fails on a pattern that matches nothing; the copyright file is
  # always there, and put() fails on a missing folder
  dpkg-deb --fsys-tarfile deb/${p}_*.deb | tar -x -C "x/$p.tmp" \
      --wildcards --no-anchored '*.ogg' '*.wav' '*.flac' '*copyright' \
      2> /dev/null || true
  mv "x/$p.tmp" "x/$p"
}

# put SPLIT KIND GROUP PKG DIR_IN_PKG [find-args...]: copy the matching audio
# files of one package folder into DIR/SPLIT/KIND/GROUP/PKG/
put () {
  local split=$1 kind=$2 group=$3 p=$4 sub=$5
  shift 5
  local src="x/$p/$sub" out="$split/$kind/$group/$p"
  [ -d "$src" ] || { echo "denoise-corpus: $src missing" >&2; exit 1; }
  mkdir -p "$out"
  find "$src" -type f \( -name '*.ogg' -o -name '*.wav' -o -name '*.flac' \) \
      "$@" | sort | while read -r f; do
    rel=${f#"$src"/}
    cp "$f" "$out/${rel//\//_}"
  done
  cp "$(find "x/$p/usr/share/doc" -name copyright | head -n 1)" "$out/COPYRIGHT"
}

for p in $pkgs; do unpack "$p"; done
rm -rf train dev test

# ---- training speech: voices of games and telephone prompts ------------------
put train speech voices hedgewars-data usr/share/games/hedgewars/Data/Sounds/voices \
    -not -path '*/Robot/*'                  # Robot is vocoded, not a voice
put train speech voices warmux-data usr/share/games/warmux/sound/default/voices
put train speech voices supertux-data usr/share/games/supertux2/speech
put train speech voices freedroidrpg-data \
    usr/share/freedroidrpg/data/sound/effects/tux_ingame_comments
put train speech dialogs fillets-ng-data-cs usr/share/games/fillets-ng
put train speech prompts asterisk-prompt-it-menardi-wav usr/share/asterisk/sounds

# ---- training noise ----------------------------------------------------------
put train noise keyboard bucklespring-data usr/share/buckle/wav
put train noise music hedgewars-data usr/share/games/hedgewars/Data/Music
put train noise music supertux-data usr/share/games/supertux2/music
put train noise music freedroidrpg-data usr/share/freedroidrpg/data/sound/music
put train noise music naev-data usr/share/naev/dat/snd/music
put train noise music warmux-data usr/share/games/warmux/music
put train noise effects hedgewars-data usr/share/games/hedgewars/Data/Sounds \
    -not -path '*/voices/*'
put train noise effects warmux-data usr/share/games/warmux/sound/default \
    -not -path '*/voices/*'
put train noise effects supertux-data usr/share/games/supertux2/sounds
put train noise effects scorched3d-data usr/share/games/scorched3d/data
put train noise effects naev-data usr/share/naev/dat/snd/sounds
put train noise effects extremetuxracer-data usr/share/games/etr/sounds
put train noise effects lincity-ng-data usr/share/games/lincity-ng/sounds
put train noise effects tuxpaint-data usr/share/tuxpaint/sounds
put train noise effects frozen-bubble-data usr/share/games/frozen-bubble/snd
put train noise effects freedroidrpg-data \
    usr/share/freedroidrpg/data/sound/effects -not -path '*voice*' \
    -not -path '*comments*'
# birdsong: real microphones hear it (scripts/denoise-noise-data.sh takes
# Wesnoth's other sounds)
wsrc=usr/share/games/wesnoth/1.16/data/core/sounds
[ -d "x/wesnoth-1.16-data/$wsrc" ] || wsrc=$(cd x/wesnoth-1.16-data && find . -type d -path '*core/sounds' | head -n 1)
put train noise nature wesnoth-1.16-data "$wsrc" \( -name '*birds*' -o -name '*morning*' \)

# ---- development set: the files of ../shared/data that the recipe holds out
# (tools/train/dn_data.c), linked by category, and music on hold
data=${DATA:-$top/../shared/data}
data=$(cd "$data" && pwd)
link () {   # SPLIT KIND GROUP FILE...: symbolic links, nothing is copied
  local out="$1/$2/$3"
  shift 3
  mkdir -p "$out"
  for f in "$@"; do
    [ -f "$f" ] || { echo "denoise-corpus: $f missing" >&2; exit 1; }
    ln -sf "$f" "$out/"
  done
}
link dev speech arctic "$data"/speech/arctic/*.flac
link dev speech librispeech "$data"/speech/librispeech/*.flac
link dev noise crowd "$data"/noise/blanket/coffee-shop.ogg
link dev noise night "$data"/noise/blanket/summer-night.ogg
link dev noise wind "$data"/noise/blanket/wind.ogg
link dev noise water "$data"/noise/speechcommands/running_tap.flac
link dev noise rumble "$data"/noise/misc/noise4.flac "$data"/noise/misc/noise5.flac
put dev noise music asterisk-moh-opsound-wav usr/share/asterisk/moh

# ---- test set: sources nothing is trained or tuned on -------------------------
put test speech dialogs fillets-ng-data-nl usr/share/games/fillets-ng
put test speech words ktuberling-data usr/share/ktuberling/sounds
put test speech words alsa-utils usr/share/sounds/alsa -name '[FRS]*_*.wav'
mg=usr/share/games/megaglest
put test noise birds megaglest-data $mg/tilesets \( -name '*day*' -o -name '*morning*' \)
put test noise night megaglest-data $mg/tilesets -name '*night*'
put test noise rain megaglest-data $mg/tilesets -name '*rain*'
put test noise wind megaglest-data $mg/tilesets -name '*wind*'
put test noise water megaglest-data $mg/data/core/water_sounds
put test noise animals megaglest-data $mg/techs/megapack/factions \( -path '*chicken*' \
    -o -path '*bull*' -o -path '*sheep*' -o -path '*elephant*' -o -path '*wild_sow*' \)
put test noise machinery megaglest-data $mg/techs/megapack/factions \( -path '*battle_machine*' \
    -o -path '*airship*' -o -path '*ornithopter*' \)
put test noise traffic torcs-data usr/share/games/torcs/data/sound
fg=usr/share/games/flightgear
put test noise aircraft flightgear-data-base $fg/Aircraft/c172p/Sounds
put test noise aircraft flightgear-data-base $fg/Sounds -maxdepth 1 \( -iname '*engine*' \
    -o -iname '*jet*' -o -iname '*prop*' -o -iname '*rotor*' -o -iname '*heli*' \
    -o -iname '*turbine*' \)
put test noise rain flightgear-data-base $fg/Sounds -maxdepth 1 \( -iname '*rain*' \
    -o -iname '*thunder*' -o -iname '*hail*' \)
put test noise wind flightgear-data-base $fg/Sounds -maxdepth 1 -iname '*wind*'
put test noise music xmoto-data usr/share/games/xmoto/Textures/Musics
echo "denoise-corpus: done in $dir"
for s in train dev test; do
  for k in speech noise; do
    [ -d "$s/$k" ] && echo "  $s/$k: $(find "$s/$k" -type f ! -name COPYRIGHT | wc -l) files, $(du -sh "$s/$k" | cut -f1)"
  done
done
