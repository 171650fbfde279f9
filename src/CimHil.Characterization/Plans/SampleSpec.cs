using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Which cells a procedure uses: all eligible cells, or a deterministic sample of them.</summary>
public sealed record SampleSpec(int? Count)
{
    public static SampleSpec All { get; } = new((int?)null);

    /// <summary>The <c>sampleCount</c> of a procedure section: absent means every eligible cell.</summary>
    public static SampleSpec Parse(JsonSection parent) =>
        parent.Has("sampleCount") ? new SampleSpec(parent.Int("sampleCount", 1, null)) : All;
}
