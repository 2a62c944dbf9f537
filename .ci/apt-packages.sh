# Installs the Debian packages the test suite needs, when missing. Sourced by .ci/run.
# chromium: the browser the VS Code tests drive (playwright-core); libkrb5-dev: headers for code-server's kerberos
# addon; ripgrep: seeds @vscode/ripgrep's download cache when code-server installs (.ci/install-code-server.sh);
# python3-torch (with numpy): the PyTorch references some tests run (scripts/fixtures/hf_check.py, safetensors_ref.py).
APT_PACKAGES=(chromium libkrb5-dev ripgrep python3-torch)

ensure_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
