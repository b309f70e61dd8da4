#!/usr/bin/env bash
# System packages the test suite needs: Debian's Chromium (browser tests, driven
# by Playwright with executable_path) and a Chinese font so pages render.
# With --bench also wrk (the load tool of benchmarks/bench_web_wrk.sh, `make bench`).
# Installs only what is missing; needs root (as on CI and the dev machines).
set -euo pipefail
need=()
if [ "${1:-}" = "--bench" ]; then
  command -v wrk >/dev/null || need+=(wrk)
fi
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "需要安装系统软件包：${need[*]}（请以root运行 apt-get install ${need[*]}）" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
