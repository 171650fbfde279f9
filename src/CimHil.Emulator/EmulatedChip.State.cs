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

            // Everything is read before anything is replaced: a damaged file leaves the chip as it was.
            var ticks = r.ReadInt64();
            var stable = ReadArray<double>(r, _cells);
            var transient = ReadArray<double>(r, _cells);
            var lastProgram = ReadArray<double>(r, _cells);
            var nu = ReadArray<double>(r, _cells);
            var formed = ReadArray<bool>(r, _cells);
            var pulsesPerCell = ReadArray<int>(r, _cells);
            var eventCounter = ReadArray<ulong>(r, _cells);
            var readCounter = ReadArray<ulong>(r, _cells);
            var scalars = new ulong[6];
            for (var k = 0; k < scalars.Length; k++)
            {
                scalars[k] = r.ReadUInt64();
            }

            lock (_gate)
            {
                ThrowIfDisposed();
                var now = VirtualClock.Now.UtcTicks;
                if (ticks < now)
                {
                    throw new ChipStateMismatchException($"the saved clock {new DateTimeOffset(ticks, TimeSpan.Zero):O} is earlier than this chip's clock {VirtualClock.Now:O}");
                }

                stable.CopyTo(_stable, 0);
                transient.CopyTo(_transient, 0);
                lastProgram.CopyTo(_lastProgramSeconds, 0);
                nu.CopyTo(_nu, 0);
                formed.CopyTo(_formed, 0);
                pulsesPerCell.CopyTo(_pulsesPerCell, 0);
                eventCounter.CopyTo(_eventCounter, 0);
                readCounter.CopyTo(_readCounter, 0);
                _vmmCounter = scalars[0];
                _totalPulses = (long)scalars[1];
                _totalForming = (long)scalars[2];
                _totalCellReads = (long)scalars[3];
                _readOperations = (long)scalars[4];
                _vmmOperations = (long)scalars[5];
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

    private static T[] ReadArray<T>(BinaryReader r, int expected)
        where T : unmanaged
    {
        var n = r.ReadInt32();
        if (n != expected)
        {
            throw new ChipStateMismatchException($"the saved state holds {n} cells where {expected} were expected");
        }

        var values = new T[n];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
