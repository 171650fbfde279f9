using CimHil.Core.Chip;

namespace CimHil.Characterization.Store;

/// <summary>The last thing stored about a cell, when it is a read: what the cell should still hold.</summary>
public sealed record StoredRead(CellAddress Cell, double ReadVoltageV, double ConductanceS, DateTimeOffset Timestamp);
