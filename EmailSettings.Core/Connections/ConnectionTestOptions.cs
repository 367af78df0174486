namespace EmailSettings.Core.Connections;

/// <summary>Settings of Test Connection, bound from the "ConnectionTests" configuration section.</summary>
public sealed class ConnectionTestOptions
{
    public const string SectionName = "ConnectionTests";

    public static readonly TimeSpan MaximumTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The total time one test may take, from DNS to QUIT (hh:mm:ss in configuration).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
}
