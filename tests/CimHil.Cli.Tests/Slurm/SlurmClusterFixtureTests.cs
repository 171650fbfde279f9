using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace CimHil.Cli.Tests.Slurm;

/// <summary>
/// The local cluster picks its ports when it starts: a second cluster (another test run on the same machine) starts and
/// takes jobs while the first runs and while the ports the fixture once fixed (6917/6918) are held by someone else.
/// </summary>
[Collection(SlurmClusterCollection.Name)]
public sealed class SlurmClusterFixtureTests(SlurmClusterFixture cluster)
{
    [Fact]
    public async Task SecondCluster_StartsBesideTheFirst_WhileTheOnceFixedPortsAreTaken()
    {
        using var controllerPort = Hold(6917);
        using var nodePort = Hold(6918);
        var second = new SlurmClusterFixture();
        try
        {
            await second.InitializeAsync();

            var conf = await File.ReadAllTextAsync(second.Conf);
            var ports = (Port(conf, "SlurmctldPort"), Port(conf, "SlurmdPort"));
            Assert.Equal((second.ControllerPort, second.NodePort), ports);
            Assert.DoesNotContain(ports.Item1, new[] { 6917, 6918, cluster.ControllerPort, cluster.NodePort });
            Assert.DoesNotContain(ports.Item2, new[] { 6917, 6918, cluster.ControllerPort, cluster.NodePort });
            Assert.Equal("idle", (await second.ToolAsync("sinfo", "-h", "-N", "-o", "%T")).Trim());
            Assert.Equal("idle", (await cluster.ToolAsync("sinfo", "-h", "-N", "-o", "%T")).Trim());
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private static int Port(string conf, string key) => int.Parse(Regex.Match(conf, $@"^{key}=(\d+)$", RegexOptions.Multiline).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Listens on <paramref name="port"/> if it is free; if something else holds it already, it is taken either way.</summary>
    private static Listener Hold(int port)
    {
        var listener = new TcpListener(IPAddress.Any, port);
        try
        {
            listener.Start();
        }
        catch (SocketException)
        {
        }

        return new Listener(listener);
    }

    private sealed class Listener(TcpListener listener) : IDisposable
    {
        public void Dispose() => listener.Stop();
    }
}
