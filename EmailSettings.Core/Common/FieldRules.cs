using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EmailSettings.Core.Common;

/// <summary>Checks shared by the server and account inputs. Each returns the message to show, or null when valid.</summary>
public static class FieldRules
{
    public const int NameMaxLength = 100;
    public const int HostMaxLength = 253;
    public const int UsernameMaxLength = 256;
    public const int PasswordMaxLength = 1024;
    public const int EmailMaxLength = 254;

    // Lengths of stored values nobody types into a form. The DbContext sizes its columns with these, and the code
    // that stores such a value cuts it to the same length, so a long header or error never fails a save.

    /// <summary>A SHA-256 certificate fingerprint in hexadecimal.</summary>
    public const int FingerprintLength = 64;

    /// <summary>RFC 5322's limit on one header line: an outgoing subject, a Message-ID.</summary>
    public const int HeaderLineMaxLength = 998;

    /// <summary>A stored sender or subject (synced messages, the email log).</summary>
    public const int HeaderTextMaxLength = 1000;

    /// <summary>A stored recipient list (a synced message's To, the email log's recipients).</summary>
    public const int AddressListMaxLength = 2000;

    /// <summary>A stored error message or server response.</summary>
    public const int ErrorTextMaxLength = 2000;

    /// <summary>The name of a sync error kind.</summary>
    public const int ErrorKindMaxLength = 50;

    /// <summary>The name of an email log status.</summary>
    public const int StatusMaxLength = 20;

    /// <summary>The full name of an IMAP folder an account syncs ("INBOX", "Archive/2024").</summary>
    public const int FolderNameMaxLength = 500;

    /// <summary>The most folders one account syncs.</summary>
    public const int MaxSyncFolders = 20;

    /// <summary>An OAuth provider's configuration name.</summary>
    public const int ProviderNameMaxLength = 100;

    /// <summary>An Identity user id.</summary>
    public const int UserIdMaxLength = 450;

    /// <summary>The random handle a dialog waits on for its OAuth sign-in.</summary>
    public const int HandleMaxLength = 64;

    /// <summary>The text shown under a synced message's subject.</summary>
    public const int PreviewMaxLength = 200;

    private static readonly IdnMapping Idn = new();

    public static string? Required(string? value, string label) =>
        string.IsNullOrWhiteSpace(value) ? $"{label} is required." : null;

    public static string? MaxLength(string? value, int max, string label) =>
        value is not null && value.Length > max ? $"{label} must be at most {max} characters." : null;

    public static string? Port(int port, string label) =>
        port is < 1 or > 65535 ? $"{label} must be a number between 1 and 65535." : null;

    /// <summary>A host name or an IP address, without scheme, port, path or spaces.</summary>
    public static string? Host(string? value, string label, string portLabel)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{label} is required.";
        }
        var host = value.Trim();
        if (host.Contains("://", StringComparison.Ordinal))
        {
            return $"Enter only the host name (for example smtp.example.com), without \"{host[..(host.IndexOf("://", StringComparison.Ordinal) + 3)]}\".";
        }
        if (host.Any(char.IsWhiteSpace))
        {
            return $"{label} cannot contain spaces.";
        }
        if (host.Length > HostMaxLength)
        {
            return $"{label} must be at most {HostMaxLength} characters.";
        }
        if (IsIpAddress(host))
        {
            return null;
        }
        if (host.Contains(':', StringComparison.Ordinal))
        {
            return $"Enter the host name without a port; put the port in {portLabel}.";
        }
        if (host.Contains('/', StringComparison.Ordinal) || host.Contains('@', StringComparison.Ordinal))
        {
            return $"Enter only the host name (for example smtp.example.com), without a path or user name.";
        }
        return IsHostName(host) ? null : $"{label} must be a host name such as smtp.example.com or an IP address.";
    }

    public static string? Email(string? value, string label)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{label} is required.";
        }
        var email = value.Trim();
        if (email.Length > EmailMaxLength)
        {
            return $"{label} must be at most {EmailMaxLength} characters.";
        }
        var at = email.LastIndexOf('@');
        var valid = at > 0 && at < email.Length - 1
            && email.IndexOf('@') == at
            && at <= 64
            && !email.Any(char.IsWhiteSpace)
            && !email.StartsWith('.') && !email[..at].EndsWith('.') && !email.Contains("..", StringComparison.Ordinal)
            && email[(at + 1)..].Contains('.', StringComparison.Ordinal)
            && IsHostName(email[(at + 1)..]);
        return valid ? null : $"Enter a valid email address, such as support@example.com.";
    }

    private static bool IsIpAddress(string host)
    {
        var candidate = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (!IPAddress.TryParse(candidate, out var address))
        {
            return false;
        }
        // IPAddress.TryParse accepts "1" or "1.2" as IPv4; only dotted quads count as an address here.
        return address.AddressFamily == AddressFamily.InterNetworkV6 || candidate.Count(c => c == '.') == 3;
    }

    private static bool IsHostName(string host)
    {
        string ascii;
        try
        {
            ascii = Idn.GetAscii(host.TrimEnd('.'));
        }
        catch (ArgumentException)
        {
            return false;
        }
        if (ascii.Length is 0 or > HostMaxLength)
        {
            return false;
        }
        return ascii.Split('.').All(label =>
            label.Length is >= 1 and <= 63
            && !label.StartsWith('-') && !label.EndsWith('-')
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'));
    }
}
