#!/usr/bin/env bash
# Install the "Denoised microphone" PipeWire virtual source for the current
# user: writes ~/.config/pipewire/pipewire.conf.d/gan-denoise-mic.conf from
# desktop/pipewire/gan-denoise-mic.conf.in, pointing at the installed (or
# built) LADSPA plugin. Then restart PipeWire:
#   systemctl --user restart pipewire     (or pass --restart)
# usage: install-pipewire-mic.sh [--stereo] [--plugin PATH] [--restart] [--uninstall]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
channels=1 label=gan_denoise_mono position=MONO plugin="" restart=0
conf_dir=${XDG_CONFIG_HOME:-$HOME/.config}/pipewire/pipewire.conf.d
while [ $# -gt 0 ]; do
  case $1 in
    --stereo) channels=2 label=gan_denoise_stereo position="FL FR" ;;
    --plugin) plugin=$2; shift ;;
    --restart) restart=1 ;;
    --uninstall) rm -f "$conf_dir/gan-denoise-mic.conf"; echo "removed"; exit 0 ;;
    *) echo "usage: $0 [--stereo] [--plugin PATH] [--restart] [--uninstall]" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$plugin" ]; then
  # meson install puts it in <libdir>/ladspa; a build tree works too
  for p in ${LADSPA_PATH:+${LADSPA_PATH//:/ }} /usr/local/lib/*/ladspa /usr/local/lib/ladspa \
           /usr/lib/*/ladspa /usr/lib/ladspa "$here/build/desktop/ladspa"; do
    [ -f "$p/gan-denoise-ladspa.so" ] && { plugin=$p/gan-denoise-ladspa.so; break; }
  done
fi
[ -f "$plugin" ] || { echo "gan-denoise-ladspa.so not found: meson install it, or pass --plugin PATH" >&2; exit 1; }
plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")
mkdir -p "$conf_dir"
sed -e "s|@PLUGIN@|$plugin|" -e "s|@LABEL@|$label|" -e "s|@CHANNELS@|$channels|" \
    -e "s|@POSITION@|$position|" "$here/desktop/pipewire/gan-denoise-mic.conf.in" \
    > "$conf_dir/gan-denoise-mic.conf"
echo "installed $conf_dir/gan-denoise-mic.conf ($label, $plugin)"
if [ $restart = 1 ]; then
  systemctl --user restart pipewire
else
  echo "now: systemctl --user restart pipewire   and pick \"Denoised microphone\""
fi
