namespace EmailSettings.Tests.Support;

/// <summary>
/// Every fixture that starts a real server (Dovecot, the SMTP server, PostgreSQL, Chromium) reports it here first.
/// With <c>EMAILSETTINGS_FORBID_SERVERS=1</c> it refuses instead, so running the unit filter that way
/// (<c>dotnet test --filter Category!=Integration</c>, see the README) proves that no test outside
/// <c>[Trait("Category", "Integration")]</c> needs one.
/// </summary>
public static class ExternalServers
{
    public const string ForbidVariable = "EMAILSETTINGS_FORBID_SERVERS";

    public static void Starting(string server)
    {
        if (Environment.GetEnvironmentVariable(ForbidVariable) == "1")
        {
            throw new InvalidOperationException(
                $"A test started {server} while {ForbidVariable}=1: mark its class [Trait(\"Category\", \"Integration\")].");
        }
    }
}
