using CimHil.Workflows.Slurm;

namespace CimHil.Workflows.Tests.Slurm;

public sealed class SharedPathCheckTests
{
    private static readonly string[] Mounts =
    [
        "/dev/sda1 / ext4 rw,relatime 0 0",
        "tmpfs /tmp tmpfs rw 0 0",
        "fs1:/home /home nfs4 rw 0 0",
        "lustre@tcp:/scratch /scratch lustre rw 0 0",
        "fs1:/my\\040lab /my\\040lab nfs rw 0 0",
    ];

    [Theory]
    [InlineData("/home/ana/runs/x", "/home", "nfs4")]
    [InlineData("/scratch/x", "/scratch", "lustre")]
    [InlineData("/tmp/x", "/tmp", "tmpfs")]
    [InlineData("/homework/x", "/", "ext4")]
    [InlineData("/my lab/runs", "/my lab", "nfs")]
    public void The_mount_is_the_longest_mount_point_above_the_path(string path, string point, string type) =>
        Assert.Equal((point, type), SharedPathCheck.MountOf(path, Mounts));

    [Fact]
    public void A_local_file_system_is_refused_on_a_cluster_of_several_nodes_only()
    {
        var ex = Assert.Throws<SlurmException>(() => SharedPathCheck.Check("/tmp/run", nodes: 4, Mounts));
        Assert.Contains("/tmp/run is on a node-local file system (tmpfs mounted at /tmp) but the partition has 4 nodes", ex.Message, StringComparison.Ordinal);
        SharedPathCheck.Check("/home/ana/run", nodes: 4, Mounts);
        SharedPathCheck.Check("/tmp/run", nodes: 1, Mounts);
    }
}
