#!/usr/bin/env bash
# Runs every test of CimHil. Installs prerequisites first (see scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
dotnet test CimHil.sln -c Release --nologo "$@"
