using CimHil.Instruments.Tests.Resilience;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The board suite over a raw TCP socket.</summary>
public sealed class BoardOverTcpTests() : BoardOverWireTests(BoardWire.Socket);

/// <summary>The fault-injection suite over a raw TCP socket.</summary>
public sealed class FaultInjectionOverTcpTests() : FaultInjectionTests(BoardWire.Socket);
