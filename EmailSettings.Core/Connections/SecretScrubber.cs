using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace EmailSettings.Core.Connections;

/// <summary>
/// Removes secrets (passwords, later access and refresh tokens) from any text that is shown, stored or logged:
/// the secret as it is, percent-encoded, and inside any Base64 run whose decoded bytes contain it. The last covers
/// what a server may echo of a sign-in (AUTH PLAIN's <c>\0user\0password</c>, AUTH LOGIN's Base64 password,
/// XOAUTH2's <c>user=…\x01auth=Bearer …</c>) without listing every framing.
/// </summary>
internal sealed partial class SecretScrubber
{
    public const string Mask = "********";

    public static readonly SecretScrubber None = new([]);

    private readonly string[] secrets;
    private readonly byte[][] secretBytes;
    private readonly int shortestRun;

    public SecretScrubber(IEnumerable<string?> secrets)
    {
        // Longest first, so a secret that contains another one is masked as a whole.
        this.secrets = secrets.OfType<string>().Where(s => s.Length > 0).Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => s.Length).ToArray();
        secretBytes = this.secrets.Select(Encoding.UTF8.GetBytes).ToArray();
        // The shortest Base64 text that can hold the shortest secret.
        shortestRun = secretBytes.Length == 0 ? 0 : (secretBytes.Min(b => b.Length) * 4 + 2) / 3;
    }

    /// <summary>A scrubber that removes this one's secrets and <paramref name="more"/>.</summary>
    public SecretScrubber With(params string?[] more) => new(secrets.Concat(more));

    [return: NotNullIfNotNull(nameof(text))]
    public string? Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text) || secrets.Length == 0)
        {
            return text;
        }
        // Base64 first: masking the plain form first could cut a Base64 run that happens to contain it.
        text = Base64Run().Replace(text, run => run.Length >= shortestRun && HidesSecret(run.Value) ? Mask : run.Value);
        foreach (var secret in secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
            var escaped = Uri.EscapeDataString(secret);
            if (!string.Equals(escaped, secret, StringComparison.Ordinal))
            {
                text = text.Replace(escaped, Mask, StringComparison.OrdinalIgnoreCase);
            }
        }
        return text;
    }

    /// <summary>
    /// Whether the run decodes to bytes containing a secret. It is decoded from each of its first four characters,
    /// because a run found in free text may begin with a character or three that are not part of the encoding.
    /// </summary>
    private bool HidesSecret(string run)
    {
        var body = run.TrimEnd('=');
        var buffer = new byte[body.Length];
        for (var skip = 0; skip < 4 && body.Length - skip >= shortestRun - 1; skip++)
        {
            var part = body[skip..];
            part = (part.Length % 4) switch
            {
                1 => part[..^1],
                2 => part + "==",
                3 => part + "=",
                _ => part,
            };
            if (!Convert.TryFromBase64String(part, buffer, out var written))
            {
                continue;
            }
            var decoded = buffer.AsSpan(0, written);
            foreach (var secret in secretBytes)
            {
                if (decoded.IndexOf(secret) >= 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    [GeneratedRegex("[A-Za-z0-9+/]{4,}={0,2}")]
    private static partial Regex Base64Run();
}
