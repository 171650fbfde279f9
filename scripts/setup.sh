#!/usr/bin/env bash
# Installs what CimHil needs beyond the .NET SDK, once. Idempotent; safe to run on every call.
# Debian packages: OpenBLAS (GEMM), socat (serial/pty peer in tests), Fashion-MNIST (the data set), gcc (the VISA stand-in),
# chromium (headless browser for the HTML-report tests; Playwright drives /usr/bin/chromium, it never downloads one),
# python3-pyvisa-py (an independent VXI-11 client for the emulator's VXI-11 server tests),
# python3-h5py, python3-xarray (the export tests read the HDF5 export back with them).
set -euo pipefail
need=()
[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so.0 ] || [ -e /usr/lib/aarch64-linux-gnu/libopenblas.so.0 ] || need+=(libopenblas0-pthread)
command -v socat >/dev/null 2>&1 || need+=(socat)
[ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
# g++: GraphKernelHostTests build the GPU graph kernels (graph.cu) for the host.
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/lib/python3/dist-packages/pyvisa_py/__init__.py ] || need+=(python3-pyvisa-py)
# h5py and xarray for Debian's python3 (/usr/bin/python3, which the export tests run, whatever python3 is first on PATH).
/usr/bin/python3 -c "import h5py, xarray" >/dev/null 2>&1 || need+=(python3-h5py python3-xarray python3-pandas)
# Slurm and munge: the Slurm tests start a single-node cluster with scripts/slurm-local.sh.
command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 || need+=(slurm-wlm munge)
# requests and pandas for the Python client in python/cimhil (its unittest suite runs against a live `cimhil serve`).
/usr/bin/python3 -c "import requests, pandas" >/dev/null 2>&1 || need+=(python3-requests python3-pandas)
for pkg in ${CIMHIL_EXTRA_PACKAGES:-}; do need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
# PowerShell as a .NET tool in .tools/ (git-ignored): the tests run the Windows launcher cimhil.ps1 with it. 7.6.10 is
# pinned: the newest version the package feed offers does not install.
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$root/.tools/pwsh" ] || dotnet tool install --tool-path "$root/.tools" PowerShell --version 7.6.10 >/dev/null
