using PureHDF;

namespace CimHil.Cli.Tests.Import;

/// <summary>Writes the generated layouts into a temp folder and runs the Python readers the export tests use.</summary>
internal static class ImportFiles
{
    public static string TempDir() => Directory.CreateTempSubdirectory("cimhil-import-").FullName;

    /// <summary>
    /// What "only read" means for a store: the files that start with its name (no -wal or -shm appeared beside it) and the
    /// SHA-256 of its bytes.
    /// </summary>
    public static string StoreState(string db)
    {
        var files = Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(db))!, Path.GetFileName(db) + "*").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);
        return $"{string.Join(", ", files)} sha256 {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(db)))}";
    }

    public static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Layout (d): one HDF5 file, one read per element: row, col, current (A) at a read voltage, target (S), a phase label (strings).</summary>
    public static string Hdf5(string dir, GeneratedArray array)
    {
        var reads = array.Cells.SelectMany(c => c.ReadsS.Select(g => (c, g))).ToList();
        var vread = reads.Select((_, i) => 0.1 + (0.05 * (i % 3))).ToArray();
        var file = new H5File
        {
            ["array"] = new H5Group
            {
                ["row"] = reads.Select(r => r.c.Row).ToArray(),
                ["col"] = reads.Select(r => r.c.Column).ToArray(),
                ["current"] = reads.Select((r, i) => r.g * vread[i]).ToArray(),
                ["vread"] = vread,
                ["target"] = reads.Select(r => r.c.TargetS).ToArray(),
                ["phase"] = reads.Select(r => r.c.Level % 2 == 0 ? "even-level" : "odd-level").ToArray(),
            },
        };
        var path = Path.Combine(dir, "array.h5");
        file.Write(path);
        return path;
    }

    /// <summary>Debian's python3 (where python3-h5py and python3-xarray install), whatever python3 is first on PATH.</summary>
    public static async Task<(int Code, string Out, string Err)> PythonAsync(string script, params string[] args)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var psi = new System.Diagnostics.ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }
}
