using Bunit;
using EmailSettings.Core.Sending;
using EmailSettings.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace EmailSettings.Tests.Portal.EmailLogs;

/// <summary>A bUnit context with MudBlazor and the real sending services of one tenant over the test host's SQLite file.</summary>
internal static class PortalServices
{
    public static BunitContext CreateContext(CoreTestHost host, Guid tenantId)
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddLogging();
        var scope = host.Scope(tenantId);
        ctx.Services.AddSingleton(scope.GetRequiredService<EmailLogService>());
        ctx.Services.AddSingleton(scope.GetRequiredService<IEmailSender>());
        ctx.Services.AddSingleton(TimeProvider.System);
        return ctx;
    }
}
