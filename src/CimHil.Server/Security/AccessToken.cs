using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CimHil.Server.Security;

/// <summary>
/// The token a non-loopback server requires on every request, the event stream and the page included: as
/// <c>Authorization: Bearer …</c>, or <c>?token=…</c> where a header cannot be set (EventSource, a link in a browser).
/// </summary>
public static class AccessToken
{
    /// <summary>A new random token: 32 bytes from the OS generator, hex.</summary>
    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static bool Carries(HttpRequest request, string token)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? given = null;
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            given = header["Bearer ".Length..].Trim();
        }
        else if (request.Query.TryGetValue("token", out var q))
        {
            given = q.ToString();
        }

        // Constant time, so the comparison leaks nothing of the token through timing.
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));
    }
}
