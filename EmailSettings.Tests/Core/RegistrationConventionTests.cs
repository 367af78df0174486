using System.Reflection;
using System.Runtime.CompilerServices;
using EmailSettings.Core;
using EmailSettings.Portal.Auth;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Tests.Core;

/// <summary>One scheme for the registration extensions: <c>builder.Add&lt;Feature&gt;()</c>, returning the builder.</summary>
public sealed class RegistrationConventionTests
{
    [Fact]
    public void Every_Add_extension_of_Core_and_Portal_extends_and_returns_the_host_builder()
    {
        var registrations = new[] { typeof(DependencyInjection).Assembly, typeof(AuthenticationSetup).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.IsDefined(typeof(ExtensionAttribute)) && m.Name.StartsWith("Add", StringComparison.Ordinal))
            .ToList();

        registrations.Select(m => m.Name).Should().Contain(
            ["AddEmailSettingsCore", "AddConnectionTests", "AddEmailSending", "AddPortalIdentity", "AddImapSync", "AddTenantContext", "AddPortalAuthentication"]);
        registrations.Where(m => m.GetParameters()[0].ParameterType != typeof(IHostApplicationBuilder) || m.ReturnType != typeof(IHostApplicationBuilder))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .Should().BeEmpty();
    }
}
