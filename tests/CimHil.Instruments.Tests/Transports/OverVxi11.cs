using CimHil.Instruments.Tests.Resilience;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The board suite over VXI-11 through CimHil's own client.</summary>
public sealed class BoardOverVxi11Tests() : BoardOverWireTests(BoardWire.Vxi11);

/// <summary>The fault-injection suite (drop, delay, corruption, stall) over VXI-11: same outcomes, no unintended pulse.</summary>
public sealed class FaultInjectionOverVxi11Tests() : FaultInjectionTests(BoardWire.Vxi11);
