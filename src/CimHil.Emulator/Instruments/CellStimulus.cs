using CimHil.Core.Chip;

namespace CimHil.Emulator.Instruments;

/// <summary>What one voltage pulse from a bench instrument does to one cell of the emulated array.</summary>
internal static class CellStimulus
{
    /// <summary>
    /// Applies <paramref name="cellV"/> for <paramref name="widthSeconds"/>: a positive pulse on a pristine RRAM cell is a
    /// forming attempt (it forms only above the forming voltage), any other a SET (positive) or RESET (negative) pulse;
    /// <paramref name="gateV"/> is the access transistor's gate voltage of a 1T1R cell, null for a two-terminal cell.
    /// Returns the forming outcome, or null for a programming pulse.
    /// </summary>
    public static async Task<FormingResult?> ApplyAsync(EmulatedChip chip, CellAddress cell, double cellV, double widthSeconds, double complianceA, CancellationToken cancellationToken, double? gateV = null)
    {
        if (cellV > 0 && chip.Supports(ChipCapabilities.RequiresForming) && !chip.IsFormed(cell))
        {
            return await chip.FormAsync(cell, new FormingPulse { AmplitudeV = cellV, WidthSeconds = widthSeconds, ComplianceA = complianceA, GateVoltageV = gateV }, cancellationToken).ConfigureAwait(false);
        }

        var pulse = new ProgramPulse
        {
            Polarity = cellV > 0 ? PulsePolarity.Set : PulsePolarity.Reset,
            AmplitudeV = Math.Abs(cellV),
            WidthSeconds = widthSeconds,
            ComplianceA = complianceA,
            GateVoltageV = gateV,
        };
        await chip.ApplyPulseAsync(cell, pulse, cancellationToken).ConfigureAwait(false);
        return null;
    }
}
