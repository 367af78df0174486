namespace EmailSettings.Core.Tenancy;

/// <summary>The tenant seeded for local development.</summary>
public static class DemoTenant
{
    public static readonly Guid Id = new("7d1c1c4e-3f38-4c5e-9a57-1f2d7c0e0a01");
    public const string Name = "Demo Tenant";
}
