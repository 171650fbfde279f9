using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Emulator;

/// <summary>How a per-cell parameter is spread from device to device at "fabrication".</summary>
public enum SpreadKind
{
    /// <summary>value = nominal · exp(σ·z): σ is the standard deviation of ln(value), nominal the median.</summary>
    LogNormal,

    /// <summary>value = nominal + σ·z: σ in the parameter's own unit.</summary>
    Normal,
}

/// <summary>A per-cell parameter: its nominal value and its device-to-device spread.</summary>
public sealed record Spread(double Nominal, double Sigma, SpreadKind Kind)
{
    /// <summary>The cell's value for a standard-normal draw <paramref name="z"/>.</summary>
    public double Sample(double z) => Kind == SpreadKind.LogNormal ? Nominal * Math.Exp(Sigma * z) : Nominal + (Sigma * z);

    /// <summary>Reads <c>{"nominal": x, "sigma": s}</c> or a bare number (the nominal, keeping the default σ).</summary>
    internal static Spread Parse(JsonSection parent, string name, Spread defaults, double min, double max)
    {
        if (!parent.Has(name))
        {
            return defaults;
        }

        if (parent.Element.GetProperty(name).ValueKind == System.Text.Json.JsonValueKind.Number)
        {
            return defaults with { Nominal = parent.Double(name, min, max) };
        }

        var s = parent.Section(name).AllowOnly("nominal", "sigma");
        return defaults with
        {
            Nominal = s.Double("nominal", defaults.Nominal, min, max),
            Sigma = s.Double("sigma", defaults.Sigma, 0, defaults.Kind == SpreadKind.LogNormal ? 2.0 : max - min),
        };
    }
}

/// <summary>
/// Physics of the HfOx-like 1T1R RRAM cell (see docs/emulator.md for the equations and sources).
/// Every <see cref="Spread"/> is drawn once per cell at fabrication; the rest are array-wide constants.
/// </summary>
public sealed record RramPhysics
{
    /// <summary>High-resistance-state floor G_min, the level a full RESET approaches.</summary>
    public Spread MinConductanceS { get; init; } = new(1e-6, 0.15, SpreadKind.LogNormal);

    /// <summary>Low-resistance-state ceiling G_max, the level a full SET approaches without compliance limit.</summary>
    public Spread MaxConductanceS { get; init; } = new(100e-6, 0.05, SpreadKind.LogNormal);

    /// <summary>Conductance of a fresh (unformed) cell: HfOx before forming is a near-insulator.</summary>
    public Spread PristineConductanceS { get; init; } = new(20e-9, 0.3, SpreadKind.LogNormal);

    /// <summary>Forming voltage at a 1 µs pulse.</summary>
    public Spread FormingVoltageV { get; init; } = new(3.0, 0.15, SpreadKind.Normal);

    /// <summary>How much lower the forming voltage gets per decade of longer pulse (voltage–time trade-off).</summary>
    public double FormingVoltagePerDecadeV { get; init; } = 0.1;

    /// <summary>Onset voltage V_th,set of SET switching.</summary>
    public Spread SetThresholdV { get; init; } = new(0.8, 0.05, SpreadKind.Normal);

    /// <summary>Onset voltage V_th,reset of RESET switching.</summary>
    public Spread ResetThresholdV { get; init; } = new(1.0, 0.05, SpreadKind.Normal);

    /// <summary>SET rate prefactor α_set (dimensionless, per 1 µs pulse).</summary>
    public Spread SetRate { get; init; } = new(0.5, 0.2, SpreadKind.LogNormal);

    /// <summary>RESET rate prefactor α_reset (dimensionless, per 1 µs pulse).</summary>
    public Spread ResetRate { get; init; } = new(0.5, 0.2, SpreadKind.LogNormal);

    /// <summary>Voltage scale V0 of the sinh rate law.</summary>
    public double RateVoltageScaleV { get; init; } = 0.25;

    /// <summary>Exponent γ of the pulse-width dependence (w / 1 µs)^γ.</summary>
    public double WidthExponent { get; init; } = 0.5;

    /// <summary>Relative cycle-to-cycle spread of every conductance change (σ of the multiplicative factor on ΔG).</summary>
    public double CycleToCycleSigma { get; init; } = 0.15;

    /// <summary>Constant V_C of the "universal" compliance relation G_set ≈ I_C / V_C (Ielmini, IEEE TED 58(12), 2011).</summary>
    public double ComplianceVoltageV { get; init; } = 0.4;

    /// <summary>Access-transistor threshold V_t (1T1R).</summary>
    public Spread TransistorThresholdV { get; init; } = new(0.4, 0.02, SpreadKind.Normal);

    /// <summary>Access-transistor square-law factor k: I_sat = k/2·(V_g − V_t)².</summary>
    public double TransistorGainAPerV2 { get; init; } = 200e-6;

    /// <summary>Read-noise floor a0 in σ_read(G) = scale_cell · (a0 + a1·G).</summary>
    public double ReadNoiseFloorS { get; init; } = 20e-9;

    /// <summary>Relative read-noise term a1 in σ_read(G) = scale_cell · (a0 + a1·G).</summary>
    public double ReadNoiseRelative { get; init; } = 0.01;

    /// <summary>Per-cell multiplier of σ_read (random-telegraph-noise strength varies from cell to cell).</summary>
    public Spread ReadNoiseScale { get; init; } = new(1.0, 0.2, SpreadKind.LogNormal);

    /// <summary>Fraction of the last conductance change that relaxes away after programming.</summary>
    public Spread RelaxationFraction { get; init; } = new(0.1, 0.03, SpreadKind.Normal);

    /// <summary>Time constant of the short-term relaxation.</summary>
    public Spread RelaxationTimeSeconds { get; init; } = new(10.0, 0.5, SpreadKind.LogNormal);

    /// <summary>
    /// Relative σ of the random part of relaxation: the settled value scatters by N(0, (σ·G)²) around G − f·ΔG,
    /// the error a verify read right after the pulse cannot see (CrossSim's fit of Milo et al., IRPS 2021: ≈ 4 µS at 100 µS).
    /// </summary>
    public double RelaxationNoiseRelative { get; init; } = 0.03;

    /// <summary>Probability that a cell is stuck at a high conductance (over-formed filament).</summary>
    public double StuckOnRate { get; init; } = 0.002;

    /// <summary>Probability that a cell is stuck at the pristine conductance (never forms).</summary>
    public double StuckOffRate { get; init; } = 0.002;

    /// <summary>Conductance of a stuck-ON cell.</summary>
    public Spread StuckOnConductanceS { get; init; } = new(150e-6, 0.1, SpreadKind.LogNormal);

    internal static RramPhysics Parse(JsonSection s)
    {
        s.AllowOnly(
            "minConductanceS", "maxConductanceS", "pristineConductanceS", "formingVoltageV", "formingVoltagePerDecadeV",
            "setThresholdV", "resetThresholdV", "setRate", "resetRate", "rateVoltageScaleV", "widthExponent",
            "cycleToCycleSigma", "complianceVoltageV", "transistorThresholdV", "transistorGainAPerV2",
            "readNoiseFloorS", "readNoiseRelative", "readNoiseScale", "relaxationFraction", "relaxationTimeSeconds",
            "relaxationNoiseRelative", "stuckOnRate", "stuckOffRate", "stuckOnConductanceS");
        var d = new RramPhysics();
        var p = new RramPhysics
        {
            MinConductanceS = Spread.Parse(s, "minConductanceS", d.MinConductanceS, 1e-12, 1),
            MaxConductanceS = Spread.Parse(s, "maxConductanceS", d.MaxConductanceS, 1e-12, 1),
            PristineConductanceS = Spread.Parse(s, "pristineConductanceS", d.PristineConductanceS, 1e-15, 1),
            FormingVoltageV = Spread.Parse(s, "formingVoltageV", d.FormingVoltageV, 0.1, 20),
            FormingVoltagePerDecadeV = s.Double("formingVoltagePerDecadeV", d.FormingVoltagePerDecadeV, 0, 2),
            SetThresholdV = Spread.Parse(s, "setThresholdV", d.SetThresholdV, 0, 10),
            ResetThresholdV = Spread.Parse(s, "resetThresholdV", d.ResetThresholdV, 0, 10),
            SetRate = Spread.Parse(s, "setRate", d.SetRate, 1e-9, 1e3),
            ResetRate = Spread.Parse(s, "resetRate", d.ResetRate, 1e-9, 1e3),
            RateVoltageScaleV = s.Double("rateVoltageScaleV", d.RateVoltageScaleV, 1e-3, 10),
            WidthExponent = s.Double("widthExponent", d.WidthExponent, 0, 2),
            CycleToCycleSigma = s.Double("cycleToCycleSigma", d.CycleToCycleSigma, 0, 1),
            ComplianceVoltageV = s.Double("complianceVoltageV", d.ComplianceVoltageV, 1e-3, 10),
            TransistorThresholdV = Spread.Parse(s, "transistorThresholdV", d.TransistorThresholdV, 0, 5),
            TransistorGainAPerV2 = s.Double("transistorGainAPerV2", d.TransistorGainAPerV2, 1e-9, 1),
            ReadNoiseFloorS = s.Double("readNoiseFloorS", d.ReadNoiseFloorS, 0, 1e-3),
            ReadNoiseRelative = s.Double("readNoiseRelative", d.ReadNoiseRelative, 0, 1),
            ReadNoiseScale = Spread.Parse(s, "readNoiseScale", d.ReadNoiseScale, 0, 100),
            RelaxationFraction = Spread.Parse(s, "relaxationFraction", d.RelaxationFraction, 0, 1),
            RelaxationTimeSeconds = Spread.Parse(s, "relaxationTimeSeconds", d.RelaxationTimeSeconds, 1e-9, 1e9),
            RelaxationNoiseRelative = s.Double("relaxationNoiseRelative", d.RelaxationNoiseRelative, 0, 1),
            StuckOnRate = s.Double("stuckOnRate", d.StuckOnRate, 0, 1),
            StuckOffRate = s.Double("stuckOffRate", d.StuckOffRate, 0, 1),
            StuckOnConductanceS = Spread.Parse(s, "stuckOnConductanceS", d.StuckOnConductanceS, 1e-12, 1),
        };
        if (p.StuckOnRate + p.StuckOffRate > 1)
        {
            throw s.Error("stuckOffRate", $"stuckOnRate + stuckOffRate = {p.StuckOnRate + p.StuckOffRate:G4} exceeds 1");
        }

        if (p.MinConductanceS.Nominal >= p.MaxConductanceS.Nominal)
        {
            throw s.Error("minConductanceS", $"{p.MinConductanceS.Nominal:G4} S must be below maxConductanceS {p.MaxConductanceS.Nominal:G4} S");
        }

        return p;
    }
}

/// <summary>
/// PCM physics: the statistical model of Nandakumar et al. (ICECS 2019 / IEDM 2019) and Joshi et al. (Nat. Commun. 11, 2473, 2020)
/// as implemented by IBM aihwkit (src/aihwkit/inference/noise/pcm.py, PCMLikeNoiseModel), plus a pulse-level programming model.
/// </summary>
public sealed record PcmPhysics
{
    /// <summary>g_max of the published fit (aihwkit: 25 µS); all state dependences use G / g_max.</summary>
    public double GMaxS { get; init; } = 25e-6;

    /// <summary>Programming-noise polynomial σ_prog(G) = Σ c_k (G/g_max)^k in siemens (aihwkit prog_coeff 0.26348, 1.9650, −1.1731 µS).</summary>
    public IReadOnlyList<double> ProgrammingSigmaCoefficientsS { get; init; } = [0.26348e-6, 1.9650e-6, -1.1731e-6];

    /// <summary>Drift reference time t0 (aihwkit t_0 = 20 s).</summary>
    public double DriftT0Seconds { get; init; } = 20.0;

    /// <summary>Read duration t_read of the 1/f noise fit (aihwkit t_read = 250 ns).</summary>
    public double ReadTimeSeconds { get; init; } = 250e-9;

    /// <summary>Multiplies σ_prog (aihwkit prog_noise_scale).</summary>
    public double ProgrammingNoiseScale { get; init; } = 1.0;

    /// <summary>Multiplies the 1/f read noise (aihwkit read_noise_scale).</summary>
    public double ReadNoiseScale { get; init; } = 1.0;

    /// <summary>Multiplies ν (aihwkit drift_scale).</summary>
    public double DriftScale { get; init; } = 1.0;

    /// <summary>Time constant over which the programming error develops after the last pulse (emulator assumption, see docs).</summary>
    public double ProgrammingSettleSeconds { get; init; } = 1.0;

    /// <summary>Crystalline saturation conductance that SET pulses approach.</summary>
    public Spread SaturationConductanceS { get; init; } = new(30e-6, 0.08, SpreadKind.LogNormal);

    /// <summary>Conductance after a melt-quench RESET (amorphous).</summary>
    public Spread AmorphousConductanceS { get; init; } = new(0.05e-6, 0.3, SpreadKind.LogNormal);

    /// <summary>Cell voltage above which a SET pulse crystallises.</summary>
    public Spread SetThresholdV { get; init; } = new(0.6, 0.03, SpreadKind.Normal);

    /// <summary>Crystallisation rate prefactor per volt of overdrive and per 1 µs pulse.</summary>
    public Spread SetRate { get; init; } = new(0.3, 0.2, SpreadKind.LogNormal);

    /// <summary>Exponent γ of the pulse-width dependence (w / 1 µs)^γ of crystallisation.</summary>
    public double WidthExponent { get; init; } = 0.5;

    /// <summary>Cell voltage at which a RESET pulse melts the cell (and quenches it amorphous).</summary>
    public Spread MeltVoltageV { get; init; } = new(1.5, 0.05, SpreadKind.Normal);

    /// <summary>Relative cycle-to-cycle spread of each SET increment (crystal growth is stochastic).</summary>
    public double CycleToCycleSigma { get; init; } = 0.3;

    /// <summary>Probability that a cell is stuck crystalline (high G).</summary>
    public double StuckOnRate { get; init; } = 0.001;

    /// <summary>Probability that a cell is stuck amorphous (low G; e.g. a void at the heater).</summary>
    public double StuckOffRate { get; init; } = 0.001;

    internal static PcmPhysics Parse(JsonSection s)
    {
        s.AllowOnly(
            "gMaxS", "programmingSigmaCoefficientsS", "driftT0Seconds", "readTimeSeconds", "programmingNoiseScale",
            "readNoiseScale", "driftScale", "programmingSettleSeconds", "saturationConductanceS", "amorphousConductanceS",
            "setThresholdV", "setRate", "widthExponent", "meltVoltageV", "cycleToCycleSigma", "stuckOnRate", "stuckOffRate");
        var d = new PcmPhysics();
        var p = new PcmPhysics
        {
            GMaxS = s.Double("gMaxS", d.GMaxS, 1e-9, 1),
            ProgrammingSigmaCoefficientsS = s.Has("programmingSigmaCoefficientsS") ? s.Doubles("programmingSigmaCoefficientsS", 1) : d.ProgrammingSigmaCoefficientsS,
            DriftT0Seconds = s.Double("driftT0Seconds", d.DriftT0Seconds, 1e-6, 1e6),
            ReadTimeSeconds = s.Double("readTimeSeconds", d.ReadTimeSeconds, 1e-12, 1),
            ProgrammingNoiseScale = s.Double("programmingNoiseScale", d.ProgrammingNoiseScale, 0, 100),
            ReadNoiseScale = s.Double("readNoiseScale", d.ReadNoiseScale, 0, 100),
            DriftScale = s.Double("driftScale", d.DriftScale, 0, 100),
            ProgrammingSettleSeconds = s.Double("programmingSettleSeconds", d.ProgrammingSettleSeconds, 1e-9, 1e6),
            SaturationConductanceS = Spread.Parse(s, "saturationConductanceS", d.SaturationConductanceS, 1e-12, 1),
            AmorphousConductanceS = Spread.Parse(s, "amorphousConductanceS", d.AmorphousConductanceS, 1e-15, 1),
            SetThresholdV = Spread.Parse(s, "setThresholdV", d.SetThresholdV, 0, 10),
            SetRate = Spread.Parse(s, "setRate", d.SetRate, 1e-9, 1e3),
            WidthExponent = s.Double("widthExponent", d.WidthExponent, 0, 2),
            MeltVoltageV = Spread.Parse(s, "meltVoltageV", d.MeltVoltageV, 0, 20),
            CycleToCycleSigma = s.Double("cycleToCycleSigma", d.CycleToCycleSigma, 0, 1),
            StuckOnRate = s.Double("stuckOnRate", d.StuckOnRate, 0, 1),
            StuckOffRate = s.Double("stuckOffRate", d.StuckOffRate, 0, 1),
        };
        if (p.StuckOnRate + p.StuckOffRate > 1)
        {
            throw s.Error("stuckOffRate", $"stuckOnRate + stuckOffRate = {p.StuckOnRate + p.StuckOffRate:G4} exceeds 1");
        }

        return p;
    }

    /// <summary>σ_prog(G) = scale · Σ c_k (G/g_max)^k, floored at 0 (aihwkit apply_programming_noise_to_conductance).</summary>
    public double ProgrammingSigmaS(double targetS)
    {
        var x = targetS / GMaxS;
        var sigma = 0.0;
        var power = 1.0;
        foreach (var c in ProgrammingSigmaCoefficientsS)
        {
            sigma += c * power;
            power *= x;
        }

        return Math.Max(0, sigma * ProgrammingNoiseScale);
    }

    /// <summary>Mean of ν: clip(−0.0155·ln(G/g_max) + 0.0244, 0.049, 0.1) (aihwkit generate_drift_coefficients).</summary>
    public double DriftNuMean(double programmedS) =>
        Math.Clamp((-0.0155 * Math.Log(Relative(programmedS))) + 0.0244, 0.049, 0.1);

    /// <summary>Standard deviation of ν: clip(−0.0125·ln(G/g_max) − 0.0059, 0.008, 0.045) (aihwkit generate_drift_coefficients).</summary>
    public double DriftNuSigma(double programmedS) =>
        Math.Clamp((-0.0125 * Math.Log(Relative(programmedS))) - 0.0059, 0.008, 0.045);

    /// <summary>ν for a cell with standard-normal score z: |μ(G) + σ(G)·z| · drift scale.</summary>
    public double DriftNu(double programmedS, double z) =>
        Math.Abs(DriftNuMean(programmedS) + (DriftNuSigma(programmedS) * z)) * DriftScale;

    /// <summary>Relative σ of the 1/f read noise at <paramref name="secondsSinceProgramming"/> (aihwkit apply_drift_noise_to_conductance).</summary>
    public double ReadNoiseRelative(double programmedS, double secondsSinceProgramming)
    {
        // Q_s = clip(0.0088 / max((G/g_max)^0.65, 1e-3), max 0.2); σ/G = Q_s · sqrt(ln((t + t_read) / (2 t_read))), t = t_inf + t0.
        var qs = Math.Min(0.0088 / Math.Max(Math.Pow(Math.Abs(programmedS) / GMaxS, 0.65), 1e-3), 0.2);
        var t = Math.Max(secondsSinceProgramming, 0) + DriftT0Seconds;
        return qs * Math.Sqrt(Math.Log((t + ReadTimeSeconds) / (2 * ReadTimeSeconds))) * ReadNoiseScale;
    }

    private double Relative(double g) => Math.Max(Math.Abs(g / GMaxS), 1e-7);
}

/// <summary>The <c>emulator</c> section of hil-config.json.</summary>
public sealed record EmulatorSettings
{
    /// <summary>Largest accepted rows or columns.</summary>
    public const int MaxDimension = 4096;

    public DeviceTechnology Technology { get; init; } = DeviceTechnology.Rram;

    /// <summary>Seeds fabrication (per-cell parameters, stuck maps) and every random draw after it.</summary>
    public long Seed { get; init; } = 1;

    public int Rows { get; init; } = 64;

    public int Columns { get; init; } = 64;

    /// <summary>Whether <see cref="EmulatedChip.MultiplyAsync"/> is offered.</summary>
    public bool VectorMatrixMultiply { get; init; } = true;

    /// <summary>Serial number the chip reports.</summary>
    public string Serial { get; init; } = "EMU-0001";

    public RramPhysics Rram { get; init; } = new();

    public PcmPhysics Pcm { get; init; } = new();

    /// <summary>A 64×64 RRAM array with seed 1 and the default physics.</summary>
    public static EmulatorSettings Defaults { get; } = new();

    /// <summary>Reads and validates the <c>emulator</c> section; errors carry the JSON path.</summary>
    public static EmulatorSettings Parse(JsonSection section)
    {
        section.AllowOnly("technology", "seed", "rows", "columns", "capabilities", "serial", "rram", "pcm", EmulatorStateFile.Key, Wire.EmulatorWirePorts.PortmapperKey, Wire.EmulatorWirePorts.HiSlipKey);
        var capabilities = section.SectionOrEmpty("capabilities").AllowOnly("vectorMatrixMultiply");
        var d = Defaults;
        var settings = new EmulatorSettings
        {
            Technology = section.Enum("technology", d.Technology),
            Seed = section.Long("seed", d.Seed),
            Rows = section.Int("rows", d.Rows, 1, MaxDimension),
            Columns = section.Int("columns", d.Columns, 1, MaxDimension),
            VectorMatrixMultiply = capabilities.Bool("vectorMatrixMultiply", d.VectorMatrixMultiply),
            Serial = section.String("serial", d.Serial),
            Rram = RramPhysics.Parse(section.SectionOrEmpty("rram")),
            Pcm = PcmPhysics.Parse(section.SectionOrEmpty("pcm")),
        };
        return settings;
    }
}
