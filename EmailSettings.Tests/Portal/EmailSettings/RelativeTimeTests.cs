using EmailSettings.Portal.Components.Pages.EmailSettings;

namespace EmailSettings.Tests.Portal.EmailSettings;

public class RelativeTimeTests
{
    private static readonly DateTime Now = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(10, "just now")]
    [InlineData(60, "a minute ago")]
    [InlineData(120, "2 minutes ago")]
    [InlineData(59 * 60, "59 minutes ago")]
    [InlineData(60 * 60, "an hour ago")]
    [InlineData(3 * 3600, "3 hours ago")]
    [InlineData(30 * 3600, "yesterday")]
    [InlineData(5 * 86400, "5 days ago")]
    [InlineData(45 * 86400, "11 Oct 2026")]
    public void Times_read_the_way_people_say_them(int secondsAgo, string expected) =>
        RelativeTime.Describe(Now.AddSeconds(-secondsAgo), Now).Should().Be(expected);

    [Fact]
    public void A_time_slightly_in_the_future_reads_as_just_now() =>
        RelativeTime.Describe(Now.AddSeconds(5), Now).Should().Be("just now");

    [Fact]
    public void The_exact_time_is_shown_in_UTC() =>
        RelativeTime.Exact(new DateTime(2026, 11, 25, 9, 5, 7, DateTimeKind.Utc)).Should().Be("2026-11-25 09:05:07 UTC");
}
