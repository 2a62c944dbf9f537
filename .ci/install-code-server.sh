#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the newest that accepts Node 20) into .ci/code-server/ from its
# own package.json and lockfile, offline apart from the npm registry. Idempotent: a matching install is kept.
# Needs the apt packages libkrb5-dev (kerberos addon headers) and ripgrep (see .ci/apt-packages.sh).
# Usage: bash .ci/install-code-server.sh   → prints the path of the code-server launcher.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/code-server"
bin="$dir/node_modules/.bin/code-server"
want="$(node -p "require('$dir/package.json').dependencies['code-server']")"

marker="$dir/node_modules/.subclone-installed"
if [ -x "$bin" ] && [ "$(cat "$marker" 2>/dev/null)" = "$want" ]; then
  echo "$bin"
  exit 0
fi

# code-server's postinstall installs VS Code's own dependencies, among them @vscode/ripgrep 1.15.11 (the version
# code-server 4.100.3 pins), whose postinstall downloads rg from GitHub unless its cache holds the archive: seed
# that cache with Debian's rg.
rg_version=1.15.11
# The cache lives under .ci/cache/ (git-ignored): the install runs with TMPDIR there.
tmp="$here/cache/tmp"
mkdir -p "$tmp"
rg_cache="$tmp/vscode-ripgrep-cache-$rg_version"
rg_archive="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$rg_archive" ]; then
  command -v rg >/dev/null || { echo "install-code-server: ripgrep (rg) is missing; install the apt package ripgrep" >&2; exit 1; }
  mkdir -p "$rg_cache/x"
  cp "$(command -v rg)" "$rg_cache/x/rg"
  tar czf "$rg_archive" -C "$rg_cache/x" rg
fi

# code-server's postinstall refuses root without unsafe-perm; node-pty's runs `npx node-gyp`, which needs --yes.
cd "$dir"
TMPDIR="$tmp" JOBS="${JOBS:-2}" npm_config_unsafe_perm=true npm_config_yes=true \
  npm ci --no-audit --no-fund --foreground-scripts --loglevel=error >&2
echo "$want" > "$marker"
echo "$bin"
