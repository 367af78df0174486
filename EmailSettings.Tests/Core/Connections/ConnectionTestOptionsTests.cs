using EmailSettings.Core.Connections;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EmailSettings.Tests.Core.Connections;

public sealed class ConnectionTestOptionsTests
{
    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    [InlineData("01:00:00")]
    public async Task A_time_limit_outside_the_allowed_range_fails_with_a_message_that_says_what_to_set(string value)
    {
        await using var host = await CoreTestHost.CreateAsync(b => b.Configuration["ConnectionTests:Timeout"] = value);

        var act = () => host.Services.GetRequiredService<IOptions<ConnectionTestOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().WithMessage("*ConnectionTests:Timeout*00:00:15*");
    }
}
