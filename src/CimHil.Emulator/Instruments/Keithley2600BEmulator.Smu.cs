namespace CimHil.Emulator.Instruments;

/// <summary>The emulated 2636B's SMU channels: the attribute assignments, the trigger model and each channel's state.</summary>
public sealed partial class Keithley2600BEmulator
{
    /// <summary>
    /// One pass of the trigger model as the driver's script sets it up (section 3, "Using the remote trigger model"): the
    /// source action steps to the list's first level, the measure action reads the current into nvbuffer1, timer 1 ends the
    /// pulse and the endpulse action returns to the idle level. Other configurations are not emulated and are refused.
    /// </summary>
    private async Task RunTriggerModelAsync(string smu, Channel c, string statement, CancellationToken cancellationToken)
    {
        if (c.TriggerCount != 1 || !c.SourceAction || c.ListV.Count == 0)
        {
            throw Error(-285, $"TSP Syntax error;only a one-point sweep with the source action enabled is emulated ({statement})");
        }

        if (!c.EndPulseIdle || !c.EndPulseOnTimer1 || _timer.Stimulus != $"{smu}.trigger.SOURCE_COMPLETE_EVENT_ID" || _timer.Count != 1)
        {
            throw Error(-285, $"TSP Syntax error;only a pulse ended by timer 1 after the source action (SOURCE_IDLE) is emulated ({statement})");
        }

        var levelV = c.ListV[0];
        var limitA = c.TriggerLimitA ?? c.LimitA;
        if (!c.OutputOn || smu != "smua")
        {
            // Output off: the trigger model runs, nothing reaches the device (channel B is wired to the gate only).
            if (c.MeasureAction && c.TriggerMeasureBuffer)
            {
                c.Buffer.Add(0);
            }

            return;
        }

        MaxAbsVoltageV = Math.Max(MaxAbsVoltageV, Math.Abs(levelV));
        await _bench.PulseAsync(levelV, _timer.DelaySeconds, limitA, cancellationToken).ConfigureAwait(false);
        if (c.MeasureAction && c.TriggerMeasureBuffer)
        {
            c.Buffer.Add(await _bench.MeasureAsync(levelV, limitA, cancellationToken).ConfigureAwait(false));
        }
    }

    private void Assign(string lhs, string rhs, string statement)
    {
        if (lhs.StartsWith("trigger.timer[1].", StringComparison.Ordinal))
        {
            switch (lhs["trigger.timer[1].".Length..])
            {
                case "delay":
                    _timer.DelaySeconds = Number(rhs, statement);
                    if (_timer.DelaySeconds is < 1e-6 or > 100e3)
                    {
                        throw Error(-222, $"Parameter data out of range;timer delay {rhs} s is outside 1 µs to 100 ks ({statement})");
                    }

                    return;
                case "count":
                    _timer.Count = (int)Number(rhs, statement);
                    return;
                case "stimulus":
                    _timer.Stimulus = rhs;
                    return;
                default:
                    throw Syntax(statement);
            }
        }

        var dot = lhs.IndexOf('.', StringComparison.Ordinal);
        var smu = dot < 0 ? lhs : lhs[..dot];
        var c = Get(smu, statement);
        var attribute = lhs[(dot + 1)..];
        switch (attribute)
        {
            case "source.output":
                c.OutputOn = rhs == $"{smu}.OUTPUT_ON" || rhs == "1" || (rhs == $"{smu}.OUTPUT_OFF" || rhs == "0" ? false : throw Syntax(statement));
                if (c.OutputOn)
                {
                    MaxAbsVoltageV = Math.Max(MaxAbsVoltageV, Math.Abs(c.LevelV));
                }

                return;
            case "source.func":
                _ = rhs == $"{smu}.OUTPUT_DCVOLTS" ? true : throw Error(-285, $"TSP Syntax error;only the voltage source is emulated ({statement})");
                return;
            case "source.levelv":
                c.LevelV = CheckVoltage(Number(rhs, statement), statement);
                if (c.OutputOn)
                {
                    MaxAbsVoltageV = Math.Max(MaxAbsVoltageV, Math.Abs(c.LevelV));
                }

                return;
            case "source.limiti":
                c.LimitA = CheckLimit(Number(rhs, statement), statement);
                return;
            case "trigger.source.limiti":
                c.TriggerLimitA = CheckLimit(Number(rhs, statement), statement);
                return;
            case "trigger.source.action":
                c.SourceAction = Enable(smu, rhs, statement);
                return;
            case "trigger.measure.action":
                c.MeasureAction = Enable(smu, rhs, statement);
                return;
            case "trigger.endpulse.action":
                c.EndPulseIdle = rhs == $"{smu}.SOURCE_IDLE" || (rhs == $"{smu}.SOURCE_HOLD" ? false : throw Syntax(statement));
                return;
            case "trigger.endpulse.stimulus":
                c.EndPulseOnTimer1 = rhs == "trigger.timer[1].EVENT_ID";
                return;
            case "trigger.count":
                c.TriggerCount = (int)Number(rhs, statement);
                return;
            default:
                throw Syntax(statement);
        }
    }

    /// <summary>One SMU channel's state; reset() replaces it with defaults (output off, 0 V, 100 mA limit).</summary>
    private sealed class Channel
    {
        public bool OutputOn { get; set; }

        public double LevelV { get; set; }

        public double LimitA { get; set; } = 0.1;

        public double? TriggerLimitA { get; set; }

        public bool SourceAction { get; set; }

        public bool MeasureAction { get; set; }

        public bool TriggerMeasureBuffer { get; set; }

        public bool EndPulseIdle { get; set; }

        public bool EndPulseOnTimer1 { get; set; }

        public int TriggerCount { get; set; } = 1;

        public List<double> ListV { get; set; } = [];

        public List<double> Buffer { get; } = [];
    }

    /// <summary>Trigger timer 1.</summary>
    private sealed class Timer
    {
        public double DelaySeconds { get; set; } = 10e-6;

        public int Count { get; set; } = 1;

        public string Stimulus { get; set; } = "0";
    }
}
