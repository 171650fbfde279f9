using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CimHil.Core.Chip;

namespace CimHil.Emulator;

/// <summary>Saving and restoring the dynamic state, so an emulated run resumes on the same array (see <see cref="IStatefulChip"/>).</summary>
public sealed partial class EmulatedChip : IStatefulChip
{
    // "CHST" little-endian, then a format version: a file of another kind or version is refused, never half-read.
    private const uint StateMagic = 0x54534843;
    private const int StateVersion = 1;

    public void SaveState(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var w = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
        lock (_gate)
        {
            ThrowIfDisposed();
            w.Write(StateMagic);
            w.Write(StateVersion);
            w.Write(Geometry.Rows);
            w.Write(Geometry.Columns);
            w.Write(_fabrication.Value);
            w.Write(VirtualClock.Now.UtcTicks);
            WriteArray(w, _stable);
            WriteArray(w, _transient);
            WriteArray(w, _lastProgramSeconds);
            WriteArray(w, _nu);
            WriteArray(w, _formed);
            WriteArray(w, _pulsesPerCell);
            WriteArray(w, _eventCounter);
            WriteArray(w, _readCounter);
            w.Write(_vmmCounter);
            w.Write(_totalPulses);
            w.Write(_totalForming);
            w.Write(_totalCellReads);
            w.Write(_readOperations);
            w.Write(_vmmOperations);
        }
    }

    public void LoadState(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var r = new BinaryReader(source, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            if (r.ReadUInt32() != StateMagic || r.ReadInt32() != StateVersion)
            {
                throw new ChipStateMismatchException("not an emulator state file of this version");
            }

            var rows = r.ReadInt32();
            var columns = r.ReadInt32();
            if (rows != Geometry.Rows || columns != Geometry.Columns)
            {
                throw new ChipStateMismatchException($"the saved state is of a {rows}x{columns} array, this chip is {Geometry}");
            }

            if (r.ReadString() != _fabrication.Value)
            {
                throw new ChipStateMismatchException("the saved state is of a chip fabricated from other emulator settings (seed, technology or device parameters differ)");
            }

            var ticks = r.ReadInt64();
            lock (_gate)
            {
                ThrowIfDisposed();
                var now = VirtualClock.Now.UtcTicks;
                if (ticks < now)
                {
                    throw new ChipStateMismatchException($"the saved clock {new DateTimeOffset(ticks, TimeSpan.Zero):O} is earlier than this chip's clock {VirtualClock.Now:O}");
                }

                ReadArray(r, _stable);
                ReadArray(r, _transient);
                ReadArray(r, _lastProgramSeconds);
                ReadArray(r, _nu);
                ReadArray(r, _formed);
                ReadArray(r, _pulsesPerCell);
                ReadArray(r, _eventCounter);
                ReadArray(r, _readCounter);
                _vmmCounter = r.ReadUInt64();
                _totalPulses = r.ReadInt64();
                _totalForming = r.ReadInt64();
                _totalCellReads = r.ReadInt64();
                _readOperations = r.ReadInt64();
                _vmmOperations = r.ReadInt64();
                VirtualClock.Advance(TimeSpan.FromTicks(ticks - now));
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new ChipStateMismatchException($"the saved state is truncated ({ex.Message})");
        }
    }

    /// <summary>A digest of every parameter drawn at fabrication: two chips with the same digest are the same array.</summary>
    private static string FabricationDigest(CellParameterArrays p)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(p.Faults.AsSpan()));
        foreach (var a in new[] { p.MinS, p.MaxS, p.PristineS, p.FormingV, p.SetThresholdV, p.ResetThresholdV, p.SetRate, p.ResetRate, p.TransistorThresholdV, p.ReadNoiseScale, p.RelaxFraction, p.RelaxTauSeconds, p.StuckS, p.DriftZ })
        {
            sha.AppendData(MemoryMarshal.AsBytes(a.AsSpan()));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void WriteArray<T>(BinaryWriter w, T[] values)
        where T : unmanaged
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static void ReadArray<T>(BinaryReader r, T[] into)
        where T : unmanaged
    {
        var n = r.ReadInt32();
        if (n != into.Length)
        {
            throw new ChipStateMismatchException($"the saved state holds {n} cells where {into.Length} were expected");
        }

        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(into.AsSpan()));
    }
}
