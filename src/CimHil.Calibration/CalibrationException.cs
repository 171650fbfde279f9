namespace CimHil.Calibration;

/// <summary>A run's measurements could not be calibrated (a procedure the model needs is missing or empty).</summary>
public sealed class CalibrationException(string message) : Exception(message);
