using System.Collections.Immutable;
using System.Runtime.InteropServices;
using CimHil.Core.Chip;

namespace CimHil.Emulator;

/// <summary>
/// An in-process RRAM or PCM array: every cell's parameters are drawn at construction ("fabrication") from
/// <see cref="EmulatorSettings"/>, and every operation is deterministic per seed. Time is a <see cref="VirtualClock"/>:
/// drift and relaxation follow it, and it only moves when someone advances it (operations take no virtual time).
/// Thread-safe: operations are serialised. Safety limits are not checked here; wrap in <c>SafeChip</c> for that.
/// </summary>
public sealed partial class EmulatedChip : IFormingState
{
    private readonly object _gate = new();
    private readonly EmulatorSettings _settings;
    private readonly CellParameterArrays _p;
    private readonly DateTimeOffset _epoch;
    private readonly long _seed;
    private readonly int _cells;

    // Dynamic state, one slot per cell (row-major): flat arrays keep the hot path allocation-free.
    // RRAM: _stable = settled conductance, _transient = relaxing amplitude A (G = stable + A·e^(−Δt/τ)).
    // PCM:  _stable = programmed G_p, _transient = programming error δ that develops after the pulse, _nu = drift exponent.
    private readonly double[] _stable;
    private readonly double[] _transient;
    private readonly double[] _lastProgramSeconds;
    private readonly double[] _nu;
    private readonly bool[] _formed;
    private readonly int[] _pulsesPerCell;
    private readonly ulong[] _eventCounter;
    private readonly ulong[] _readCounter;
    private ulong _vmmCounter;
    private long _totalPulses;
    private long _totalForming;
    private long _totalCellReads;
    private long _readOperations;
    private long _vmmOperations;
    private int _safeStateCalls;
    private bool _disposed;
    private readonly Lazy<string> _fabrication;

    /// <summary>Fabricates a chip; <paramref name="clock"/> defaults to a new virtual clock at <see cref="VirtualClock.DefaultEpoch"/>.</summary>
    public EmulatedChip(EmulatorSettings settings, VirtualClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        VirtualClock = clock ?? new VirtualClock(VirtualClock.DefaultEpoch);
        _epoch = VirtualClock.Now;
        _seed = settings.Seed;
        Geometry = new ArrayGeometry(settings.Rows, settings.Columns);
        _cells = Geometry.CellCount;
        _p = CellParameterArrays.Fabricate(settings);
        GroundTruth = new EmulatorGroundTruth(settings, _p);
        _fabrication = new Lazy<string>(() => FabricationDigest(_p));
        _stable = new double[_cells];
        _transient = new double[_cells];
        _lastProgramSeconds = new double[_cells];
        _nu = new double[_cells];
        _formed = new bool[_cells];
        _pulsesPerCell = new int[_cells];
        _eventCounter = new ulong[_cells];
        _readCounter = new ulong[_cells];
        var isPcm = settings.Technology == DeviceTechnology.Pcm;
        for (var i = 0; i < _cells; i++)
        {
            // RRAM cells start pristine (unformed); PCM cells start amorphous and need no forming.
            _stable[i] = isPcm ? _p.MinS[i] : _p.PristineS[i];
            _formed[i] = isPcm;
            _nu[i] = isPcm ? settings.Pcm.DriftNu(_stable[i], _p.DriftZ[i]) : 0.0;
        }

        Capabilities = ChipCapabilities.VirtualClock | ChipCapabilities.GateVoltage
            | (settings.VectorMatrixMultiply ? ChipCapabilities.VectorMatrixMultiply : ChipCapabilities.None)
            | (isPcm ? ChipCapabilities.None : ChipCapabilities.RequiresForming);
        Identity = new ChipIdentity(
            "CimHil",
            isPcm ? "Emulated PCM array (aihwkit PCMLikeNoiseModel statistics)" : "Emulated HfOx 1T1R RRAM array",
            settings.Serial,
            "emulator-1",
            settings.Technology);
    }

    public ChipIdentity Identity { get; }

    public ArrayGeometry Geometry { get; }

    public ChipCapabilities Capabilities { get; }

    public IChipClock Clock => VirtualClock;

    /// <summary>The clock drift and relaxation follow; advance it to let time pass.</summary>
    public VirtualClock VirtualClock { get; }

    /// <summary>The settings the chip was fabricated from.</summary>
    public EmulatorSettings Settings => _settings;

    /// <summary>Every per-cell parameter drawn at fabrication and the configured distributions.</summary>
    public EmulatorGroundTruth GroundTruth { get; }

    /// <summary>Programming pulses applied so far (forming not included).</summary>
    public long TotalPulses => Interlocked.Read(ref _totalPulses);

    /// <summary>Forming pulses applied so far.</summary>
    public long TotalFormingPulses => Interlocked.Read(ref _totalForming);

    /// <summary>Cell reads so far (a block read of n cells counts n).</summary>
    public long TotalReads => Interlocked.Read(ref _totalCellReads);

    /// <summary>Read operations so far (a block read counts 1).</summary>
    public long ReadOperations => Interlocked.Read(ref _readOperations);

    public long VmmOperations => Interlocked.Read(ref _vmmOperations);

    /// <summary>How often <see cref="SafeStateAsync"/> was called.</summary>
    public int SafeStateCalls => Volatile.Read(ref _safeStateCalls);

    public bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>Programming pulses applied to one cell so far.</summary>
    public int PulseCount(CellAddress cell)
    {
        Geometry.Require(cell);
        lock (_gate)
        {
            return _pulsesPerCell[IndexOf(cell)];
        }
    }

    /// <summary>Whether a cell has been formed (always true on PCM).</summary>
    public bool IsFormed(CellAddress cell)
    {
        Geometry.Require(cell);
        lock (_gate)
        {
            return _formed[IndexOf(cell)];
        }
    }

    /// <summary>The noise-free conductance of a cell now (relaxation and drift included): the truth a read scatters around.</summary>
    public double TrueConductanceS(CellAddress cell)
    {
        Geometry.Require(cell);
        lock (_gate)
        {
            return TrueConductance(IndexOf(cell), NowSeconds());
        }
    }

    /// <summary>PCM: the drift exponent ν the cell has now (it depends on the programmed state). RRAM: 0.</summary>
    public double DriftExponent(CellAddress cell)
    {
        Geometry.Require(cell);
        lock (_gate)
        {
            return _nu[IndexOf(cell)];
        }
    }

    /// <summary>Virtual seconds since the last programming event of the cell (pulse that changed it, forming, or fabrication).</summary>
    public double SecondsSinceProgramming(CellAddress cell)
    {
        Geometry.Require(cell);
        lock (_gate)
        {
            return NowSeconds() - _lastProgramSeconds[IndexOf(cell)];
        }
    }

    /// <summary>
    /// Test backdoor: puts a cell at <paramref name="conductanceS"/> as if just programmed there without error
    /// (formed, no relaxation pending, PCM drift restarting now). Stuck cells stay stuck.
    /// </summary>
    internal void ForceConductanceForTest(CellAddress cell, double conductanceS)
    {
        Geometry.Require(cell);
        lock (_gate)
        {
            var i = IndexOf(cell);
            _formed[i] = true;
            _stable[i] = conductanceS;
            _transient[i] = 0;
            _lastProgramSeconds[i] = NowSeconds();
            if (_settings.Technology == DeviceTechnology.Pcm)
            {
                _nu[i] = _settings.Pcm.DriftNu(conductanceS, _p.DriftZ[i]);
            }
        }
    }

    public Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        cancellationToken.ThrowIfCancellationRequested();
        Geometry.Require(cell);
        RequirePositive("pulse amplitude", pulse.AmplitudeV, allowZero: true);
        RequirePositive("pulse width", pulse.WidthSeconds, allowZero: false);
        lock (_gate)
        {
            ThrowIfDisposed();
            var i = IndexOf(cell);
            var now = VirtualClock.Now;
            var t = SecondsAt(now);
            _pulsesPerCell[i]++;
            _totalPulses++;
            var k = _eventCounter[i]++;
            if (_p.Faults[i] == CellFault.None)
            {
                if (_settings.Technology == DeviceTechnology.Rram)
                {
                    RramPulse(i, k, t, pulse);
                }
                else
                {
                    PcmPulse(i, k, t, pulse);
                }
            }

            return Task.FromResult(new PulseResult(cell, pulse, now));
        }
    }

    public Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        cancellationToken.ThrowIfCancellationRequested();
        Geometry.Require(cell);
        RequirePositive("forming amplitude", pulse.AmplitudeV, allowZero: true);
        RequirePositive("forming width", pulse.WidthSeconds, allowZero: false);
        RequirePositive("forming compliance", pulse.ComplianceA, allowZero: false);
        lock (_gate)
        {
            ThrowIfDisposed();
            var i = IndexOf(cell);
            var now = VirtualClock.Now;
            var t = SecondsAt(now);
            _totalForming++;
            var k = _eventCounter[i]++;
            var (currentA, formed) = _settings.Technology == DeviceTechnology.Rram
                ? RramForm(i, k, t, pulse)
                : (TrueConductance(i, t) * pulse.AmplitudeV, true);
            return Task.FromResult(new FormingResult(cell, pulse, Math.Min(currentA, pulse.ComplianceA), formed, now));
        }
    }

    public Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Geometry.Require(cell);
        RequireFinite("read voltage", readVoltageV);
        lock (_gate)
        {
            ThrowIfDisposed();
            var now = VirtualClock.Now;
            var t = SecondsAt(now);
            _readOperations++;
            _totalCellReads++;
            var g = NoisyRead(IndexOf(cell), t);
            return Task.FromResult(new ReadResult(cell, readVoltageV, g * readVoltageV, now));
        }
    }

    public Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(block);
        cancellationToken.ThrowIfCancellationRequested();
        Geometry.Require(block);

        RequireFinite("read voltage", readVoltageV);
        var currents = new double[block.CellCount];
        lock (_gate)
        {
            ThrowIfDisposed();
            var now = VirtualClock.Now;
            var t = SecondsAt(now);
            _readOperations++;
            _totalCellReads += block.CellCount;
            var k = 0;
            for (var r = 0; r < block.Rows; r++)
            {
                var rowBase = ((block.Row + r) * Geometry.Columns) + block.Column;
                for (var c = 0; c < block.Columns; c++)
                {
                    currents[k++] = NoisyRead(rowBase + c, t) * readVoltageV;
                }
            }

            return Task.FromResult(new BlockReadResult(block, readVoltageV, ImmutableCollectionsMarshal.AsImmutableArray(currents), now));
        }
    }

    public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!_settings.VectorMatrixMultiply)
        {
            throw new CapabilityNotSupportedException(ChipCapabilities.VectorMatrixMultiply, Identity.Model);
        }

        if (rowVoltagesV.Length != Geometry.Rows)
        {
            throw new ArgumentException($"vector-matrix multiply needs {Geometry.Rows} row voltages, got {rowVoltagesV.Length}", nameof(rowVoltagesV));
        }

        var v = rowVoltagesV.Span;
        for (var r = 0; r < v.Length; r++)
        {
            RequireFinite($"row {r} voltage", v[r]);
        }

        var columns = new double[Geometry.Columns];
        lock (_gate)
        {
            ThrowIfDisposed();
            var now = VirtualClock.Now;
            var t = SecondsAt(now);
            _vmmOperations++;
            var op = _vmmCounter++;
            for (var r = 0; r < Geometry.Rows; r++)
            {
                var vr = v[r];
                if (vr == 0)
                {
                    continue;
                }

                var rowBase = r * Geometry.Columns;
                for (var c = 0; c < columns.Length; c++)
                {
                    // Every cell carries its own read noise into the column sum (Kirchhoff's current law, ohmic cells;
                    // wire resistance and IR drop are not modelled).
                    var i = rowBase + c;
                    var g = TrueConductance(i, t);
                    var z = CounterRng.Normal(_seed, CounterRng.Stream.Vmm, i, op);
                    columns[c] += (g + (ReadSigma(i, g, t) * z)) * vr;
                }
            }

            return Task.FromResult(new VmmResult([.. v], ImmutableCollectionsMarshal.AsImmutableArray(columns), now));
        }
    }

    public Task SafeStateAsync(CancellationToken cancellationToken)
    {
        // Nothing is driven between operations in the emulator; the call is recorded so tests can see it happened.
        Interlocked.Increment(ref _safeStateCalls);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, true);
        return ValueTask.CompletedTask;
    }

    private double NowSeconds() => SecondsAt(VirtualClock.Now);

    private double SecondsAt(DateTimeOffset now) => (now - _epoch).TotalSeconds;

    private int IndexOf(CellAddress cell) => (cell.Row * Geometry.Columns) + cell.Column;

    private double TrueConductance(int i, double t)
    {
        if (_p.Faults[i] != CellFault.None)
        {
            return _p.StuckS[i];
        }

        return _settings.Technology == DeviceTechnology.Rram ? RramConductance(i, t) : PcmConductance(i, t);
    }

    private double ReadSigma(int i, double g, double t)
    {
        if (_settings.Technology == DeviceTechnology.Rram)
        {
            var r = _settings.Rram;
            return _p.ReadNoiseScale[i] * (r.ReadNoiseFloorS + (r.ReadNoiseRelative * Math.Abs(g)));
        }

        return Math.Abs(g) * _settings.Pcm.ReadNoiseRelative(PcmNoiseReference(i, t), t - _lastProgramSeconds[i]);
    }

    private double NoisyRead(int i, double t)
    {
        var g = TrueConductance(i, t);
        var z = CounterRng.Normal(_seed, CounterRng.Stream.Read, i, _readCounter[i]++);

        // Measurement noise is not clipped at 0: clipping would bias averages of low-conductance reads.
        return g + (ReadSigma(i, g, t) * z);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static void RequireFinite(string what, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(what, $"{what} {value} is not a finite number");
        }
    }

    private static void RequirePositive(string what, double value, bool allowZero)
    {
        RequireFinite(what, value);
        if (value < 0 || (!allowZero && value == 0))
        {
            throw new ArgumentOutOfRangeException(what, $"{what} {value} must be {(allowZero ? "non-negative" : "positive")}");
        }
    }

    /// <summary>The cycle-to-cycle multiplicative factor ε = max(0, 1 + σ·z) of one pulse.</summary>
    private double CycleFactor(int i, ulong k, double sigma, ulong draw) =>
        Math.Max(0, 1 + (sigma * CounterRng.Normal(_seed, CounterRng.Stream.Pulse, i, (k * 4) + draw)));
}
