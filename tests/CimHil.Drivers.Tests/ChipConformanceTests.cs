using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests;

/// <summary>
/// The chip conformance suite every driver passes against its emulated counterpart, over the real wire: identity,
/// program/read round trip, block reads equal to cell-by-cell reads, VMM equal to the sum of cell currents (where the
/// capability exists), limits refused with nothing sent, and the safe state after dispose.
/// Readings are compared with the emulated array's true conductance; tolerances follow from its read-noise model.
/// </summary>
public abstract class ChipConformanceTests : IAsyncLifetime
{
    protected const double ReadV = 0.2;
    private const double WidthSeconds = 1e-3;

    private Rig? _rig;

    internal Rig Rig => _rig ?? throw new InvalidOperationException("rig not started");

    /// <summary>The driver's chip behind SafeChip with <see cref="Benches.Limits"/>, as ChipConnector builds it.</summary>
    protected SafeChip Chip => new(Rig.Chip, Benches.Limits);

    /// <summary>The vendor the driver reports: the board's or the instrument's *IDN? manufacturer.</summary>
    protected abstract string ExpectedVendor { get; }

    public async Task InitializeAsync()
    {
        _rig = await StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Fact]
    public void Identity_NamesTheEmulatedArrayAndItsInstrument()
    {
        Assert.Equal(ExpectedVendor, Chip.Identity.Vendor);
        Assert.False(string.IsNullOrWhiteSpace(Chip.Identity.Model));
        Assert.False(string.IsNullOrWhiteSpace(Chip.Identity.Serial));
        Assert.Equal(Rig.Backing.Identity.Technology, Chip.Identity.Technology);
        Assert.Equal(Rig.Backing.Geometry.Rows, Chip.Geometry.Rows);
        Assert.Equal(Rig.Backing.Geometry.Columns, Chip.Geometry.Columns);
        Assert.True(Chip.Supports(ChipCapabilities.RequiresForming));
    }

    [Fact]
    public async Task ProgramThenRead_ReadsWhatTheArrayHolds_AndPulsesMoveItTheRightWay()
    {
        var cell = new CellAddress(1, 2);
        await FormAsync(cell);
        var formedS = await ReadAndCheckAsync(cell);

        await Chip.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.6, WidthSeconds = WidthSeconds }, CancellationToken.None);
        var resetS = await ReadAndCheckAsync(cell);
        Assert.True(resetS < 0.8 * formedS, $"RESET should lower the conductance: {formedS:G4} S → {resetS:G4} S");

        await Chip.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.3, WidthSeconds = WidthSeconds, ComplianceA = 100e-6 }, CancellationToken.None);
        var setS = await ReadAndCheckAsync(cell);
        Assert.True(setS > 1.2 * resetS, $"SET should raise the conductance: {resetS:G4} S → {setS:G4} S");
        Assert.Equal(2, Rig.Backing.PulseCount(cell));
    }

    [Fact]
    public async Task ReadBlock_EqualsCellByCellReads()
    {
        await FormAsync(new CellAddress(0, 0));
        await FormAsync(new CellAddress(1, 1));
        var block = new CellBlock(0, 0, 2, 3);

        var bulk = await Chip.ReadBlockAsync(block, ReadV, CancellationToken.None);

        Assert.Equal(block.CellCount, bulk.CurrentsA.Length);
        foreach (var cell in block.Cells())
        {
            var single = await Chip.ReadCellAsync(cell, ReadV, CancellationToken.None);
            var g = Rig.Backing.TrueConductanceS(cell);

            // Two independent reads: the difference has √2 times the single-read sigma.
            var tolerance = 5 * Math.Sqrt(2) * NoiseSigmaS(g) * ReadV;
            Assert.InRange(bulk.CurrentA(cell.Row, cell.Column) - single.CurrentA, -tolerance, tolerance);
        }
    }

    [Fact]
    public async Task Multiply_EqualsTheSumOfCellCurrents_OrIsRefusedWithoutTheCapability()
    {
        var rows = Chip.Geometry.Rows;
        var voltages = Enumerable.Range(0, rows).Select(r => 0.05 + (0.05 * r)).ToArray();
        if (!Chip.Supports(ChipCapabilities.VectorMatrixMultiply))
        {
            var sent = Rig.Wire.WriteCount;
            await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => Chip.MultiplyAsync(voltages, CancellationToken.None));
            await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => Rig.Chip.MultiplyAsync(voltages, CancellationToken.None));
            Assert.Equal(sent, Rig.Wire.WriteCount);
            return;
        }

        await FormAsync(new CellAddress(0, 1));
        await FormAsync(new CellAddress(2, 1));
        await FormAsync(new CellAddress(3, 3));
        var vmm = await Chip.MultiplyAsync(voltages, CancellationToken.None);

        Assert.Equal(Chip.Geometry.Columns, vmm.ColumnCurrentsA.Length);
        for (var c = 0; c < Chip.Geometry.Columns; c++)
        {
            var sum = 0.0;
            var variance = 0.0;
            for (var r = 0; r < rows; r++)
            {
                var cell = new CellAddress(r, c);
                sum += (await Chip.ReadCellAsync(cell, voltages[r], CancellationToken.None)).CurrentA;
                var sigma = NoiseSigmaS(Rig.Backing.TrueConductanceS(cell)) * voltages[r];

                // Each cell's noise enters both the VMM column and its own read.
                variance += 2 * sigma * sigma;
            }

            var tolerance = 5 * Math.Sqrt(variance);
            Assert.InRange(vmm.ColumnCurrentsA[c] - sum, -tolerance, tolerance);
        }
    }

    [Fact]
    public async Task LimitsRefused_TypedErrors_AndNothingReachesTheInstrument()
    {
        var cell = new CellAddress(0, 0);
        var sent = Rig.Wire.WriteCount;
        var pulses = Rig.Backing.TotalPulses;
        var reads = Rig.Backing.TotalReads;

        // Configured limits (SafeChip): voltage per operation type, compliance, pulse width.
        await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 3.2, WidthSeconds = WidthSeconds }, CancellationToken.None));
        await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 3.6, WidthSeconds = WidthSeconds }, CancellationToken.None));
        await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.0, WidthSeconds = 0.1 }, CancellationToken.None));
        await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.0, WidthSeconds = WidthSeconds, ComplianceA = 1e-3 }, CancellationToken.None));
        await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.FormAsync(cell, new FormingPulse { AmplitudeV = 5.5, WidthSeconds = WidthSeconds, ComplianceA = 100e-6 }, CancellationToken.None));
        await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.ReadCellAsync(cell, 0.6, CancellationToken.None));
        await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.ReadBlockAsync(new CellBlock(0, 0, 2, 2), 0.6, CancellationToken.None));

        // The driver's own maxima hold even without SafeChip in front.
        await Assert.ThrowsAsync<SafetyLimitException>(() => Rig.Chip.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 25, WidthSeconds = WidthSeconds }, CancellationToken.None));
        await Assert.ThrowsAsync<SafetyLimitException>(() => Rig.Chip.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1, WidthSeconds = 20, ComplianceA = 1e-4 }, CancellationToken.None));
        await Assert.ThrowsAsync<SafetyLimitException>(() => Rig.Chip.ReadCellAsync(cell, 25, CancellationToken.None));

        Assert.Equal(sent, Rig.Wire.WriteCount);
        Assert.Equal(pulses, Rig.Backing.TotalPulses);
        Assert.Equal(reads, Rig.Backing.TotalReads);
        Assert.False(Rig.Backing.IsFormed(cell));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.2)]
    public async Task ZeroOrNegativeReadVoltage_IsASafetyRefusal_AndNothingReachesTheInstrument(double readVoltageV)
    {
        var sent = Rig.Wire.WriteCount;
        var reads = Rig.Backing.TotalReads;

        var cell = await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.ReadCellAsync(new CellAddress(0, 0), readVoltageV, CancellationToken.None));
        var block = await Assert.ThrowsAsync<SafetyLimitException>(() => Chip.ReadBlockAsync(new CellBlock(0, 0, 2, 2), readVoltageV, CancellationToken.None));

        Assert.Equal($"read refused: read voltage {readVoltageV.ToString(System.Globalization.CultureInfo.InvariantCulture)} V must be above 0 V; nothing was applied", cell.Message);
        Assert.Equal("block read refused: read voltage", block.Message[..32]);
        Assert.Equal((sent, reads), (Rig.Wire.WriteCount, Rig.Backing.TotalReads));
    }

    [Fact]
    public async Task Dispose_LeavesTheInstrumentsInTheirSafeState()
    {
        await FormAsync(new CellAddress(3, 0));
        await Chip.ReadCellAsync(new CellAddress(3, 0), ReadV, CancellationToken.None);

        await Chip.DisposeAsync();

        AssertSafeState();
    }

    /// <summary>Starts the emulated counterpart and connects the driver to it.</summary>
    internal abstract Task<Rig> StartAsync();

    /// <summary>Inspects the emulated instruments: sources at 0 V, outputs off (and the matrix open, where there is one).</summary>
    protected abstract void AssertSafeState();

    /// <summary>
    /// One read's noise sigma in siemens for a cell of conductance <paramref name="g"/>: the emulator's RRAM model
    /// σ = s·(floor + relative·G) with a per-cell scale s drawn lognormal(0, 0.2); e^(4·0.2) bounds s at 4 sigma.
    /// </summary>
    protected static double NoiseSigmaS(double g)
    {
        var r = Benches.Array.Rram;
        return Math.Exp(4 * r.ReadNoiseScale.Sigma) * (r.ReadNoiseFloorS + (r.ReadNoiseRelative * Math.Abs(g)));
    }

    private async Task FormAsync(CellAddress cell)
    {
        var result = await Chip.FormAsync(cell, new FormingPulse { AmplitudeV = 4.0, WidthSeconds = WidthSeconds, ComplianceA = 100e-6 }, CancellationToken.None);
        Assert.True(result.Formed, $"cell {cell} did not form: {result.CurrentA:G4} A");
        Assert.True(Rig.Backing.IsFormed(cell));
    }

    /// <summary>Reads a cell through the driver and checks it against the array's true conductance within 5 sigma.</summary>
    private async Task<double> ReadAndCheckAsync(CellAddress cell)
    {
        var read = await Chip.ReadCellAsync(cell, ReadV, CancellationToken.None);
        var truth = Rig.Backing.TrueConductanceS(cell);
        var tolerance = 5 * NoiseSigmaS(truth);
        Assert.InRange(read.ConductanceS, truth - tolerance, truth + tolerance);
        return read.ConductanceS;
    }
}
