using CimHil.Instruments.Tests.Resilience;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The board suite over HiSLIP through CimHil's own client.</summary>
public sealed class BoardOverHiSlipTests() : BoardOverWireTests(BoardWire.HiSlip);

/// <summary>The fault-injection suite (drop, delay, corruption, stall) over HiSLIP: same outcomes, no unintended pulse.</summary>
public sealed class FaultInjectionOverHiSlipTests() : FaultInjectionTests(BoardWire.HiSlip);
