using System.Buffers.Binary;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;

namespace CimHil.Cli.Tests;

/// <summary><c>characterize --resume</c> on a store whose write-ahead log lost committed transactions.</summary>
public class DamagedStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task CharacterizeResume_StoreWithADamagedLog_ExitsBadInputNamingTheLossAndWritesNothing()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-damaged-").FullName;
        var path = Path.Combine(dir, "run.db");
        var copy = Path.Combine(dir, "copy.db");
        using (var store = MeasurementStore.Create(path, "r", "{}", Provenance(), T0))
        {
            store.BeginProcedure("multilevel", 1, "{}", T0);
            var batch = store.BeginBatch();
            for (var u = 0; u < 24; u++)
            {
                batch.Add(Measurement.FromRead(new RecordKey("multilevel", u / 8, u % 8, 0, 0), "final", 0.2, 2e-6, T0, 1e-5));
                batch.Complete(new UnitResult { Key = new UnitKey("multilevel", u / 8, u % 8, 0), Outcome = "converged", Pulses = 1 });
                batch.Commit(T0);
            }

            // The files as a kill -9 leaves them (copied while the writer holds them, before any checkpoint).
            foreach (var suffix in new[] { string.Empty, "-wal", ".commits" })
            {
                File.Copy(path + suffix, copy + suffix);
            }
        }

        // One damaged page in the middle of the log: SQLite silently drops every commit from that frame on.
        var wal = await File.ReadAllBytesAsync(copy + "-wal");
        var pageSize = BinaryPrimitives.ReadInt32BigEndian(wal.AsSpan(8));
        var frames = (wal.Length - 32) / (24 + pageSize);
        wal[32 + (frames / 2 * (24 + pageSize)) + 24 + 200] ^= 0x5A;
        await File.WriteAllBytesAsync(copy + "-wal", wal);
        var journalBefore = await File.ReadAllBytesAsync(copy + ".commits");

        var (code, _, error) = await CliHarness.RunAsync("characterize", "--out", copy, "--resume", "--json", "--config", CliHarness.ShippedConfig);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{copy}: lost committed data: expected 24 units / got ", error, StringComparison.Ordinal);
        Assert.Contains($"write-ahead log {copy}-wal ({wal.Length} bytes) is damaged", error, StringComparison.Ordinal);
        Assert.Contains("start a new run with another --out", error, StringComparison.Ordinal);
        Assert.Equal(wal, await File.ReadAllBytesAsync(copy + "-wal"));
        Assert.Equal(journalBefore, await File.ReadAllBytesAsync(copy + ".commits"));
    }

    private static RunProvenance Provenance() => new()
    {
        Chip = new ChipIdentity("CimHil", "emulator", "0", "1", DeviceTechnology.Rram),
        Geometry = new ArrayGeometry(64, 64),
        VirtualClock = true,
        Driver = "emulator",
        ConfigHash = "test",
        SoftwareVersion = RunProvenance.CurrentSoftwareVersion,
    };
}
