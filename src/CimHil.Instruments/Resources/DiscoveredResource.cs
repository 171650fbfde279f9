namespace CimHil.Instruments.Resources;

/// <summary>One resource <c>cimhil instruments resources</c> lists: the string to open, how it was found, and what is known of it.</summary>
/// <param name="Resource">The VISA resource string to pass to probe, shell or a driver's <c>resource</c> setting.</param>
/// <param name="Source">Where it was found: serial, usbtmc, visa (the vendor library's viFindRsrc) or config.</param>
/// <param name="Description">What is known without opening it: a device node, a USB identity, a config alias.</param>
public sealed record DiscoveredResource(string Resource, string Source, string Description);
