using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using CimHil.Core.Chip;
using CimHil.Core.Devices;

namespace CimHil.Emulator;

/// <summary>A manufacturing fault of one cell.</summary>
public enum CellFault
{
    None,

    /// <summary>Stuck at a high conductance: pulses do not move it.</summary>
    StuckOn,

    /// <summary>Stuck at a low conductance: pulses do not move it, forming fails.</summary>
    StuckOff,
}

/// <summary>
/// What the emulator drew at "fabrication": every per-cell parameter (row-major arrays, index = row·Columns + column)
/// and the distributions they were drawn from (<see cref="Settings"/>), so calibration results can be checked against the truth.
/// Parameters that do not apply to the technology hold NaN (e.g. <see cref="FormingVoltageV"/> on PCM).
/// </summary>
public sealed class EmulatorGroundTruth
{
    internal EmulatorGroundTruth(EmulatorSettings settings, CellParameterArrays p)
    {
        Settings = settings;
        Geometry = new ArrayGeometry(settings.Rows, settings.Columns);
        Faults = [.. p.Faults];
        MinConductanceS = [.. p.MinS];
        MaxConductanceS = [.. p.MaxS];
        PristineConductanceS = [.. p.PristineS];
        FormingVoltageV = [.. p.FormingV];
        SetThresholdV = [.. p.SetThresholdV];
        ResetThresholdV = [.. p.ResetThresholdV];
        SetRate = [.. p.SetRate];
        ResetRate = [.. p.ResetRate];
        TransistorThresholdV = [.. p.TransistorThresholdV];
        ReadNoiseScale = [.. p.ReadNoiseScale];
        RelaxationFraction = [.. p.RelaxFraction];
        RelaxationTimeSeconds = [.. p.RelaxTauSeconds];
        StuckConductanceS = [.. p.StuckS];
        DriftScore = [.. p.DriftZ];
        StuckOnCount = p.Faults.Count(f => f == CellFault.StuckOn);
        StuckOffCount = p.Faults.Count(f => f == CellFault.StuckOff);
    }

    /// <summary>The configured distributions (device-to-device σ, cycle-to-cycle σ, read-noise and drift laws, stuck rates).</summary>
    public EmulatorSettings Settings { get; }

    public DeviceTechnology Technology => Settings.Technology;

    public ArrayGeometry Geometry { get; }

    public ImmutableArray<CellFault> Faults { get; }

    /// <summary>RRAM: HRS floor G_min. PCM: amorphous (RESET) conductance.</summary>
    public ImmutableArray<double> MinConductanceS { get; }

    /// <summary>RRAM: LRS ceiling G_max. PCM: crystalline saturation conductance.</summary>
    public ImmutableArray<double> MaxConductanceS { get; }

    /// <summary>RRAM: conductance before forming. PCM: equal to <see cref="MinConductanceS"/> (fresh cells are amorphous).</summary>
    public ImmutableArray<double> PristineConductanceS { get; }

    /// <summary>RRAM: forming voltage at a 1 µs pulse. PCM: NaN.</summary>
    public ImmutableArray<double> FormingVoltageV { get; }

    public ImmutableArray<double> SetThresholdV { get; }

    /// <summary>RRAM: RESET onset. PCM: melt voltage.</summary>
    public ImmutableArray<double> ResetThresholdV { get; }

    public ImmutableArray<double> SetRate { get; }

    /// <summary>RRAM: RESET rate prefactor. PCM: NaN (RESET is a melt-quench, all or nothing).</summary>
    public ImmutableArray<double> ResetRate { get; }

    /// <summary>RRAM: access-transistor threshold. PCM: NaN (the gate is not modelled).</summary>
    public ImmutableArray<double> TransistorThresholdV { get; }

    /// <summary>RRAM: per-cell multiplier of σ_read(G). PCM: 1 (the published 1/f law is a population law).</summary>
    public ImmutableArray<double> ReadNoiseScale { get; }

    /// <summary>RRAM: fraction of the last change that relaxes away. PCM: 0.</summary>
    public ImmutableArray<double> RelaxationFraction { get; }

    /// <summary>RRAM: relaxation time constant. PCM: NaN.</summary>
    public ImmutableArray<double> RelaxationTimeSeconds { get; }

    /// <summary>Conductance of a stuck cell (NaN for healthy cells).</summary>
    public ImmutableArray<double> StuckConductanceS { get; }

    /// <summary>PCM: the cell's standard-normal drift score z, ν = |μ_ν(G) + σ_ν(G)·z|. RRAM: NaN.</summary>
    public ImmutableArray<double> DriftScore { get; }

    public int StuckOnCount { get; }

    public int StuckOffCount { get; }

    /// <summary>The configured window: nominal G_min..G_max (RRAM) or amorphous level..g_max of the published PCM fit.</summary>
    public ConductanceWindow Window => Technology == DeviceTechnology.Rram
        ? new ConductanceWindow(Settings.Rram.MinConductanceS.Nominal, Settings.Rram.MaxConductanceS.Nominal)
        : new ConductanceWindow(Settings.Pcm.AmorphousConductanceS.Nominal, Settings.Pcm.GMaxS);

    /// <summary>The configured spread of the window ends as the calibration schema states it (σ of ln G_min, ln G_max).</summary>
    public DeviceToDeviceModel DeviceToDevice => Technology == DeviceTechnology.Rram
        ? new DeviceToDeviceModel { MinLogSigma = Settings.Rram.MinConductanceS.Sigma, MaxLogSigma = Settings.Rram.MaxConductanceS.Sigma, Cells = Geometry.CellCount }
        : new DeviceToDeviceModel { MinLogSigma = Settings.Pcm.AmorphousConductanceS.Sigma, MaxLogSigma = Settings.Pcm.SaturationConductanceS.Sigma, Cells = Geometry.CellCount };

    /// <summary>The configured cycle-to-cycle spread as the calibration schema states it.</summary>
    public CycleToCycleModel CycleToCycle => new() { RelativeSigma = CycleToCycleSigma, Cells = Geometry.CellCount };

    /// <summary>The configured stuck-at rates and the nominal stuck conductances.</summary>
    public StuckAtModel StuckAt => Technology == DeviceTechnology.Rram
        ? new StuckAtModel
        {
            StuckOnRate = Settings.Rram.StuckOnRate,
            StuckOffRate = Settings.Rram.StuckOffRate,
            StuckOnConductanceS = Settings.Rram.StuckOnConductanceS.Nominal,
            StuckOffConductanceS = Settings.Rram.PristineConductanceS.Nominal,
        }
        : new StuckAtModel
        {
            StuckOnRate = Settings.Pcm.StuckOnRate,
            StuckOffRate = Settings.Pcm.StuckOffRate,
            StuckOnConductanceS = Settings.Pcm.SaturationConductanceS.Nominal,
            StuckOffConductanceS = Settings.Pcm.AmorphousConductanceS.Nominal,
        };

    /// <summary>
    /// RRAM: the population read noise σ(x) = a0 + a1·MaxS·x at the median cell, with the per-cell spread.
    /// PCM: null, the published 1/f law is not a polynomial; use <see cref="PcmPhysics.ReadNoiseRelative"/>.
    /// </summary>
    public ReadNoiseModel? ReadNoise => Technology == DeviceTechnology.Rram
        ? new ReadNoiseModel
        {
            SigmaS = new Polynomial([Settings.Rram.ReadNoiseScale.Nominal * Settings.Rram.ReadNoiseFloorS, Settings.Rram.ReadNoiseScale.Nominal * Settings.Rram.ReadNoiseRelative * Window.MaxS]),
            CellSpreadLogSigma = Settings.Rram.ReadNoiseScale.Sigma,
        }
        : null;

    /// <summary>
    /// PCM: the published programming error σ_prog(x) (what program-and-verify leaves after settling).
    /// RRAM: null, the error depends on the verify algorithm and the relaxation of the last step.
    /// </summary>
    public ProgrammingErrorModel? Programming => Technology == DeviceTechnology.Pcm
        ? new ProgrammingErrorModel
        {
            SigmaS = new Polynomial([.. Settings.Pcm.ProgrammingSigmaCoefficientsS.Select(c => c * Settings.Pcm.ProgrammingNoiseScale)]),
            Family = ErrorDistribution.Normal,
        }
        : null;

    /// <summary>Index of a cell in the per-cell arrays.</summary>
    public int IndexOf(CellAddress cell) => (cell.Row * Geometry.Columns) + cell.Column;

    /// <summary>Cycle-to-cycle σ of the configured technology (relative, on each conductance change).</summary>
    public double CycleToCycleSigma => Technology == DeviceTechnology.Rram ? Settings.Rram.CycleToCycleSigma : Settings.Pcm.CycleToCycleSigma;

    /// <summary>The read-noise σ of one read of <paramref name="cell"/> at conductance <paramref name="conductanceS"/>.</summary>
    /// <param name="secondsSinceProgramming">PCM only: time since the last programming pulse (the 1/f noise accumulates).</param>
    public double ReadNoiseSigmaS(CellAddress cell, double conductanceS, double secondsSinceProgramming = 0)
    {
        if (Technology == DeviceTechnology.Rram)
        {
            var r = Settings.Rram;
            return ReadNoiseScale[IndexOf(cell)] * (r.ReadNoiseFloorS + (r.ReadNoiseRelative * Math.Abs(conductanceS)));
        }

        return Math.Abs(conductanceS) * Settings.Pcm.ReadNoiseRelative(conductanceS, secondsSinceProgramming);
    }

    /// <summary>PCM: the drift exponent ν a cell programmed to <paramref name="programmedS"/> has. RRAM: 0 (no drift modelled).</summary>
    public double DriftExponent(CellAddress cell, double programmedS) =>
        Technology == DeviceTechnology.Pcm ? Settings.Pcm.DriftNu(programmedS, DriftScore[IndexOf(cell)]) : 0.0;
}

/// <summary>Flat per-cell parameter arrays, the emulator's hot-path representation.</summary>
internal sealed class CellParameterArrays
{
    public CellParameterArrays(int n)
    {
        Faults = new CellFault[n];
        MinS = new double[n];
        MaxS = new double[n];
        PristineS = new double[n];
        FormingV = new double[n];
        SetThresholdV = new double[n];
        ResetThresholdV = new double[n];
        SetRate = new double[n];
        ResetRate = new double[n];
        TransistorThresholdV = new double[n];
        ReadNoiseScale = new double[n];
        RelaxFraction = new double[n];
        RelaxTauSeconds = new double[n];
        StuckS = new double[n];
        DriftZ = new double[n];
    }

    public CellFault[] Faults { get; }

    public double[] MinS { get; }

    public double[] MaxS { get; }

    public double[] PristineS { get; }

    public double[] FormingV { get; }

    public double[] SetThresholdV { get; }

    public double[] ResetThresholdV { get; }

    public double[] SetRate { get; }

    public double[] ResetRate { get; }

    public double[] TransistorThresholdV { get; }

    public double[] ReadNoiseScale { get; }

    public double[] RelaxFraction { get; }

    public double[] RelaxTauSeconds { get; }

    public double[] StuckS { get; }

    public double[] DriftZ { get; }

    /// <summary>Draws every per-cell parameter from the settings' distributions (deterministic per seed).</summary>
    /// <remarks>Runs once per chip, so it is compiled fully optimised at once rather than through the tiered JIT.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static CellParameterArrays Fabricate(EmulatorSettings s)
    {
        var n = s.Rows * s.Columns;
        var p = new CellParameterArrays(n);
        var seed = s.Seed;
        for (var c = 0; c < n; c++)
        {
            // One fabrication stream per parameter: changing one distribution never reshuffles the others.
            double Z(int parameter) => CounterRng.Normal(seed, (ulong)CounterRng.Stream.Fabrication + (ulong)parameter, c, 0);
            var u = CounterRng.UniformDraw(seed, (ulong)CounterRng.Stream.Fabrication + 99, c, 0);
            if (s.Technology == DeviceTechnology.Rram)
            {
                var r = s.Rram;
                p.MaxS[c] = r.MaxConductanceS.Sample(Z(0));
                p.MinS[c] = Math.Min(r.MinConductanceS.Sample(Z(1)), 0.5 * p.MaxS[c]);
                p.PristineS[c] = Math.Min(r.PristineConductanceS.Sample(Z(2)), p.MinS[c]);
                p.FormingV[c] = r.FormingVoltageV.Sample(Z(3));
                p.SetThresholdV[c] = Math.Max(0, r.SetThresholdV.Sample(Z(4)));
                p.ResetThresholdV[c] = Math.Max(0, r.ResetThresholdV.Sample(Z(5)));
                p.SetRate[c] = Math.Max(0, r.SetRate.Sample(Z(6)));
                p.ResetRate[c] = Math.Max(0, r.ResetRate.Sample(Z(7)));
                p.TransistorThresholdV[c] = r.TransistorThresholdV.Sample(Z(8));
                p.ReadNoiseScale[c] = Math.Max(0, r.ReadNoiseScale.Sample(Z(9)));
                p.RelaxFraction[c] = Math.Clamp(r.RelaxationFraction.Sample(Z(10)), 0, 1);
                p.RelaxTauSeconds[c] = Math.Max(1e-12, r.RelaxationTimeSeconds.Sample(Z(11)));
                p.DriftZ[c] = double.NaN;
                p.Faults[c] = u < r.StuckOnRate ? CellFault.StuckOn : u < r.StuckOnRate + r.StuckOffRate ? CellFault.StuckOff : CellFault.None;
                p.StuckS[c] = p.Faults[c] switch
                {
                    CellFault.StuckOn => r.StuckOnConductanceS.Sample(Z(12)),
                    CellFault.StuckOff => p.PristineS[c],
                    _ => double.NaN,
                };
            }
            else
            {
                var m = s.Pcm;
                p.MaxS[c] = m.SaturationConductanceS.Sample(Z(0));
                p.MinS[c] = Math.Min(m.AmorphousConductanceS.Sample(Z(1)), 0.5 * p.MaxS[c]);
                p.PristineS[c] = p.MinS[c];
                p.FormingV[c] = double.NaN;
                p.SetThresholdV[c] = Math.Max(0, m.SetThresholdV.Sample(Z(4)));
                p.ResetThresholdV[c] = Math.Max(0, m.MeltVoltageV.Sample(Z(5)));
                p.SetRate[c] = Math.Max(0, m.SetRate.Sample(Z(6)));
                p.ResetRate[c] = double.NaN;
                p.TransistorThresholdV[c] = double.NaN;
                p.ReadNoiseScale[c] = 1.0;
                p.RelaxFraction[c] = 0.0;
                p.RelaxTauSeconds[c] = double.NaN;
                p.DriftZ[c] = Z(13);
                p.Faults[c] = u < m.StuckOnRate ? CellFault.StuckOn : u < m.StuckOnRate + m.StuckOffRate ? CellFault.StuckOff : CellFault.None;
                p.StuckS[c] = p.Faults[c] switch
                {
                    CellFault.StuckOn => p.MaxS[c],
                    CellFault.StuckOff => p.MinS[c],
                    _ => double.NaN,
                };
            }
        }

        return p;
    }
}
