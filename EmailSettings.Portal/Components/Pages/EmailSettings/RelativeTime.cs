using System.Globalization;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>Human-friendly times for the cards: "2 minutes ago", with the exact UTC time for a tooltip.</summary>
public static class RelativeTime
{
    public static string Describe(DateTime utc, DateTime nowUtc)
    {
        var elapsed = nowUtc - utc;
        if (elapsed < TimeSpan.Zero)
        {
            // A clock slightly ahead on the writer's side must not read as "in the future".
            elapsed = TimeSpan.Zero;
        }
        return elapsed switch
        {
            { TotalSeconds: < 45 } => "just now",
            { TotalMinutes: < 1.5 } => "a minute ago",
            { TotalMinutes: < 60 } => $"{(int)Math.Round(elapsed.TotalMinutes)} minutes ago",
            { TotalHours: < 1.5 } => "an hour ago",
            { TotalHours: < 24 } => $"{(int)Math.Round(elapsed.TotalHours)} hours ago",
            { TotalDays: < 2 } => "yesterday",
            { TotalDays: < 30 } => $"{(int)elapsed.TotalDays} days ago",
            _ => utc.ToString("d MMM yyyy", CultureInfo.InvariantCulture),
        };
    }

    public static string Exact(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
