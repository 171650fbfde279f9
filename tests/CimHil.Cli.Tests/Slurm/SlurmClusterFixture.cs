using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CimHil.Cli.Tests.Slurm;

/// <summary>
/// A real single-node Slurm cluster (slurmctld + slurmd + munged from Debian's packages) for the Slurm tests, started by
/// scripts/slurm-local.sh before the first test and always stopped after the last. Its state lives in a folder of its
/// own and its two ports are ones the system reports free at start (bound to port 0 and read back), so a cluster the
/// machine already runs, or another test run's, is left alone.
/// </summary>
public sealed class SlurmClusterFixture : IAsyncLifetime
{
    private readonly string _script = Path.Combine(AppContext.BaseDirectory, "slurm", "slurm-local.sh");
    private readonly string _state = Directory.CreateTempSubdirectory("cimhil-slurm-").FullName;
    private readonly (int Controller, int Node) _ports = FreePorts();

    /// <summary>slurmctld's port (SlurmctldPort in <see cref="Conf"/>).</summary>
    public int ControllerPort => _ports.Controller;

    /// <summary>slurmd's port (SlurmdPort in <see cref="Conf"/>).</summary>
    public int NodePort => _ports.Node;

    /// <summary>The slurm.conf every client of this cluster must name (SLURM_CONF).</summary>
    public string Conf => Path.Combine(_state, "slurm.conf");

    /// <summary>The environment of a cimhil child process that talks to this cluster.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["SLURM_CONF"] = Conf };

    /// <summary>Runs a Slurm client tool (scancel, squeue) against this cluster.</summary>
    public async Task<string> ToolAsync(string tool, params string[] args)
    {
        var (code, output, error) = await RunAsync(tool, args);
        return code == 0 ? output : throw new InvalidOperationException($"{tool} {string.Join(' ', args)}: exit {code}: {error}");
    }

    public async Task InitializeAsync()
    {
        var (code, output, error) = await RunAsync("bash", _script, "start");
        if (code != 0)
        {
            throw new InvalidOperationException($"slurm-local.sh start: exit {code}: {output} {error} {Logs()}");
        }
    }

    public async Task DisposeAsync()
    {
        await RunAsync("bash", _script, "stop");
        Directory.Delete(_state, recursive: true);
    }

    private string Logs() =>
        string.Join(' ', new[] { "slurmctld.log", "slurmd.log" }.Select(f => Path.Combine(_state, f)).Where(File.Exists).Select(f => File.ReadAllText(f)[^Math.Min(2000, (int)new FileInfo(f).Length)..]));

    private async Task<(int Code, string Out, string Err)> RunAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["SLURM_CONF"] = Conf;
        start.Environment["CIMHIL_SLURM_DIR"] = _state;
        start.Environment["CIMHIL_SLURM_PORT"] = ControllerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["CIMHIL_SLURMD_PORT"] = NodePort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Two distinct ports free on every interface (Slurm's daemons listen on all): both listeners are held open together,
    /// so the system cannot hand out the same port twice, and closed just before the daemons bind them.
    /// </summary>
    private static (int Controller, int Node) FreePorts()
    {
        var controller = new TcpListener(IPAddress.Any, 0);
        var node = new TcpListener(IPAddress.Any, 0);
        try
        {
            controller.Start();
            node.Start();
            return (((IPEndPoint)controller.LocalEndpoint).Port, ((IPEndPoint)node.LocalEndpoint).Port);
        }
        finally
        {
            controller.Stop();
            node.Stop();
        }
    }
}
