namespace CimHil.Workflows.Slurm;

/// <summary>
/// Shards write into the run folder from whichever node runs them, so on a cluster of several nodes the folder must be on
/// a file system every node mounts. A node-local file system (ext4, xfs, tmpfs, overlay…) is refused before anything is
/// submitted; a one-node cluster (scripts/slurm-local.sh, a workstation) needs no shared path.
/// </summary>
public static class SharedPathCheck
{
    /// <summary>File-system types that are shared between hosts (mount types of /proc/mounts).</summary>
    public static readonly IReadOnlySet<string> SharedTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "nfs", "nfs4", "lustre", "gpfs", "beegfs", "cifs", "smb3", "ceph", "fuse.ceph", "glusterfs", "fuse.glusterfs",
        "panfs", "wekafs", "fuse.sshfs", "fuse.juicefs", "9p", "orangefs", "pvfs2", "ocfs2", "gfs2",
    };

    /// <summary>The mount (point, type) holding <paramref name="path"/>: the longest mount point that prefixes it.</summary>
    public static (string MountPoint, string Type) MountOf(string path, IEnumerable<string> procMountsLines)
    {
        ArgumentNullException.ThrowIfNull(procMountsLines);
        var full = Path.GetFullPath(path);
        var best = ("/", "unknown");
        foreach (var line in procMountsLines)
        {
            // /proc/mounts: device, mount point (spaces escaped as \040), type, options… (proc(5)).
            var fields = line.Split(' ');
            if (fields.Length < 3)
            {
                continue;
            }

            var point = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
            var under = point == "/" || full == point || full.StartsWith(point.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (under && point.Length >= best.Item1.Length)
            {
                best = (point, fields[2]);
            }
        }

        return best;
    }

    /// <summary>Refuses <paramref name="runFolder"/> when <paramref name="nodes"/> &gt; 1 and its file system is not shared.</summary>
    public static void Check(string runFolder, int nodes, IEnumerable<string> procMountsLines)
    {
        if (nodes <= 1)
        {
            return;
        }

        var (point, type) = MountOf(runFolder, procMountsLines);
        if (!SharedTypes.Contains(type))
        {
            throw new SlurmException(
                $"run folder {Path.GetFullPath(runFolder)} is on a node-local file system ({type} mounted at {point}) but the partition has {nodes} nodes: " +
                "shards on other nodes could not write their results there. Use a folder on the cluster's shared file system (--run-dir), " +
                "or set slurm.requireSharedPath to false if this file system is shared after all");
        }
    }
}
