using CimHil.Core.Numerics;

namespace CimHil.Core.Tests.Numerics;

public class NormsTests
{
    [Fact]
    public void MaxAbs_MixedSigns_IsTheLargestMagnitude() => Assert.Equal(3.5f, Norms.MaxAbs([1f, -3.5f, 2f]));

    [Fact]
    public void MaxAbs_Empty_IsZero() => Assert.Equal(0f, Norms.MaxAbs([]));

    [Fact]
    public void MaxAbs_WithNaN_IsNaN() => Assert.True(float.IsNaN(Norms.MaxAbs([1f, float.NaN, 2f])));
}
