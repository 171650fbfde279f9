# Runs the cimhil CLI on Windows: .\cimhil.ps1 run, .\cimhil.ps1 info, .\cimhil.ps1 --help.
# The same rule as ./cimhil on Linux and macOS: build (Release) only on first use or when a source file is newer than
# the last build, say so in one line, otherwise start the built program at once.
$ErrorActionPreference = 'Stop'
$here = $PSScriptRoot
$out = Join-Path $here 'src/CimHil.Cli/bin/Release/net10.0'
$dll = Join-Path $out 'cimhil.dll'
$stamp = Join-Path $out '.cimhil-built'

function Test-Stale {
    if (-not (Test-Path $stamp) -or -not (Test-Path $dll)) { return $true }
    $built = (Get-Item -Force $stamp).LastWriteTimeUtc
    $sources = @(Get-Item (Join-Path $here 'Directory.Build.props'), (Join-Path $here 'Directory.Packages.props'))
    foreach ($folder in 'src', 'drivers') {
        # bin/ and obj/ are outputs, not sources.
        $sources += Get-ChildItem -Path (Join-Path $here $folder) -Recurse -File |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }
    }
    return [bool]($sources | Where-Object { $_.LastWriteTimeUtc -gt $built } | Select-Object -First 1)
}

if (Test-Stale) {
    Write-Host 'cimhil: building the CLI (first run or sources changed)...'
    $started = [DateTime]::UtcNow
    $log = & dotnet build (Join-Path $here 'src/CimHil.Cli/CimHil.Cli.csproj') -c Release --nologo -v quiet '-clp:ErrorsOnly;NoSummary' 2>&1
    if ($LASTEXITCODE -ne 0) {
        $log | Write-Host
        Write-Host 'cimhil: the build failed (above)'
        exit 1
    }
    # Stamped with the build's start, so a source saved during the build makes the next call build again.
    New-Item -ItemType File -Force -Path $stamp | Out-Null
    (Get-Item -Force $stamp).LastWriteTimeUtc = $started
}

& dotnet $dll @args
exit $LASTEXITCODE
