using EmailSettings.Core;
using EmailSettings.Core.Data;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Tenancy;
using EmailSettings.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace EmailSettings.Tests.Core.Data;

/// <summary><c>Database:Provider</c> and <c>ConnectionStrings:EmailSettings</c>: what they select and the start-up errors.</summary>
public sealed class DatabaseConfigurationTests
{
    private const string Password = "Very-Secret-Pw-42";

    private static DatabaseOptions Resolve(string root, params (string Key, string? Value)[] settings) =>
        DependencyInjection.ResolveDatabase(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build(),
            root);

    private static DatabaseConfigurationException Refused(params (string Key, string? Value)[] settings)
    {
        var root = TempFolder.Create("emailsettings-config");
        try
        {
            var act = () => Resolve(root, settings);
            return act.Should().Throw<DatabaseConfigurationException>().Which;
        }
        finally
        {
            TempFolder.Delete(root);
        }
    }

    [Theory]
    [InlineData(null, DatabaseProvider.Sqlite)]
    [InlineData("", DatabaseProvider.Sqlite)]
    [InlineData("Sqlite", DatabaseProvider.Sqlite)]
    [InlineData("postgres", DatabaseProvider.Postgres)]
    [InlineData("Postgres", DatabaseProvider.Postgres)]
    public void The_provider_setting_selects_the_database_and_its_migrations(string? setting, DatabaseProvider expected)
    {
        var root = TempFolder.Create("emailsettings-config");
        try
        {
            var options = Resolve(root, (DatabaseOptions.ProviderKey, setting),
                (DatabaseOptions.ConnectionStringKey, expected == DatabaseProvider.Postgres ? "Host=db.internal;Database=emailsettings;Username=app" : null));

            options.Provider.Should().Be(expected);
            options.MigrationsAssembly.Should().Be($"EmailSettings.Migrations.{expected}");
            if (expected == DatabaseProvider.Sqlite)
            {
                options.ConnectionString.Should().Contain(Path.Combine(root, "data", "emailsettings.db"), "no setting means today's SQLite file");
            }
            options.KeysPath.Should().Be(Path.Combine(root, "data", "keys"));
        }
        finally
        {
            TempFolder.Delete(root);
        }
    }

    [Fact]
    public void An_unknown_provider_is_refused_naming_the_key_and_the_choices()
    {
        var error = Refused((DatabaseOptions.ProviderKey, "Oracle"));

        error.Message.Should().Be("Database:Provider is \"Oracle\", which is not a supported database. Use \"Sqlite\" (the default) or \"Postgres\".");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    public void Postgres_without_a_connection_string_is_refused_naming_the_key(string? connectionString)
    {
        var error = Refused((DatabaseOptions.ProviderKey, "Postgres"), (DatabaseOptions.ConnectionStringKey, connectionString));

        error.Message.Should().StartWith("Database:Provider is Postgres, but ConnectionStrings:EmailSettings is not set.");
    }

    [Theory]
    [InlineData("Database=emailsettings;Username=app;Password=" + Password)]
    [InlineData("Host=db.internal;Username=app;Password=" + Password)]
    [InlineData("Hots=db.internal;Database=x;Password=" + Password)]
    public void A_postgres_connection_string_without_host_and_database_is_refused_without_showing_the_password(string connectionString)
    {
        var error = Refused((DatabaseOptions.ProviderKey, "Postgres"), (DatabaseOptions.ConnectionStringKey, connectionString));

        error.Message.Should().Contain("ConnectionStrings:EmailSettings").And.NotContain(Password);
    }

    [Fact]
    public void A_malformed_sqlite_connection_string_is_refused_naming_the_key()
    {
        var error = Refused((DatabaseOptions.ConnectionStringKey, "Data Sorce=app.db"));

        error.Message.Should().StartWith("ConnectionStrings:EmailSettings is not a valid SQLite connection string");
    }

    [Fact]
    public async Task An_unreachable_postgres_stops_start_up_naming_the_key_without_the_password()
    {
        var root = TempFolder.Create("emailsettings-config");
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = root, DisableDefaults = true });
            builder.Configuration[DatabaseOptions.ProviderKey] = "Postgres";
            // A port nobody listens on: the connection is refused at once.
            builder.Configuration[DatabaseOptions.ConnectionStringKey] =
                $"Host=127.0.0.1;Port={FreePort.Next()};Database=emailsettings;Username=app;Password={Password}";
            builder.AddEmailSettingsCore();
            builder.AddTenantContext<TestTenantContext>();
            using var host = builder.Build();

            var act = () => host.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: false);

            var error = (await act.Should().ThrowAsync<DatabaseConfigurationException>()).Which;
            error.Message.Should().StartWith("Could not open the PostgreSQL database \"emailsettings\" on 127.0.0.1:")
                .And.Contain("Check ConnectionStrings:EmailSettings").And.NotContain(Password);
        }
        finally
        {
            TempFolder.Delete(root);
        }
    }

    [Fact]
    public async Task The_portal_started_with_a_wrong_provider_prints_one_line_naming_the_key_and_exits_with_1()
    {
        var folder = TempFolder.Create("emailsettings-config");
        try
        {
            var (exitCode, output, errors) = await PortalProcess.RunAsync(folder,
                new Dictionary<string, string> { ["Database__Provider"] = "Oracle" }, args: ["--urls", "http://127.0.0.1:0"]);

            exitCode.Should().Be(1);
            errors.Trim().Should().Be(
                "EmailSettings cannot start: Database:Provider is \"Oracle\", which is not a supported database. Use \"Sqlite\" (the default) or \"Postgres\".",
                "one clear line, no stack trace");
            output.Should().NotContain(" at ");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public async Task An_existing_sqlite_database_keeps_its_migration_history_and_data_when_upgraded()
    {
        var folder = TempFolder.Create("emailsettings-upgrade");
        var tenant = Guid.Parse("cccccccc-0000-0000-0000-000000000003");
        try
        {
            // A database as installs before the PostgreSQL provider have it: only the first migration applied.
            var options = new DbContextOptionsBuilder<EmailSettingsDbContext>()
                .UseEmailSettingsDatabase(new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(folder, "test.db")}" })
                .Options;
            await using (var old = new EmailSettingsDbContext(options))
            {
                await old.GetService<IMigrator>().MigrateAsync("20261125190200_Initial");
                // Rows written in that schema's own columns: today's model has columns the old tables lack.
                var id = tenant.ToString().ToUpperInvariant();
                var now = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
                await old.Database.ExecuteSqlAsync($"INSERT INTO Tenants (Id, Name, CreatedAt) VALUES ({id}, 'Existing', {now})");
                await old.Database.ExecuteSqlAsync($"""
                    INSERT INTO MailServers (TenantId, Name, SmtpHost, SmtpPort, UseTls, IsDefault, CreatedAt, UpdatedAt)
                    VALUES ({id}, 'Existing SMTP', 'smtp.example.com', 587, 1, 1, {now}, {now})
                    """);
            }

            await using var host = await CoreTestHost.CreateAsync(folder: folder);

            await using var db = await host.CreateDbContextAsync();
            (await db.Database.GetAppliedMigrationsAsync()).Should().StartWith("20261125190200_Initial").And.Equal(db.Database.GetMigrations(), "every migration of the SQLite assembly is applied on top of the old history");
            (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
            (await db.MailServers.SingleAsync(s => s.TenantId == tenant)).IsDefault.Should().BeTrue();
            db.MailServers.Add(NewServer(tenant, "Second default", isDefault: true));
            var second = () => db.SaveChangesAsync();
            (await second.Should().ThrowAsync<DbUpdateException>()).Which.IsUniqueViolation().Should().BeTrue();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TempFolder.Delete(folder);
        }
    }

    internal static MailServer NewServer(Guid tenantId, string name, bool isDefault) => new()
    {
        TenantId = tenantId, Name = name, SmtpHost = "smtp.example.com", SmtpPort = 587, IsDefault = isDefault,
        CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
    };
}

/// <summary>Each provider's migration set matches the one model and enforces its rules in the database itself.</summary>
public class ProviderSchemaTests : IAsyncLifetime
{
    private CoreTestHost host = null!;

    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public async Task InitializeAsync() => host = await CoreTestHost.CreateAsync(Provider);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task The_provider_has_its_own_migrations_and_they_match_the_model()
    {
        await using var db = await host.CreateDbContextAsync();

        db.Database.ProviderName.Should().Be(Provider == DatabaseProvider.Postgres ? "Npgsql.EntityFrameworkCore.PostgreSQL" : "Microsoft.EntityFrameworkCore.Sqlite");
        db.Database.HasPendingModelChanges().Should().BeFalse("the migrations were generated from the current model");
        (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
        db.GetService<IMigrationsAssembly>().Assembly.GetName().Name.Should().Be($"EmailSettings.Migrations.{Provider}");
    }

    [Fact]
    public async Task Initializing_again_applies_nothing_and_seeds_the_demo_tenant_once()
    {
        await host.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: true);
        await host.Services.InitializeEmailSettingsDatabaseAsync(seedDemoTenant: true);

        await using var db = await host.CreateDbContextAsync();
        (await db.Tenants.CountAsync()).Should().Be(3);
    }

    [Fact]
    public async Task The_database_itself_allows_one_default_server_per_tenant()
    {
        await using var db = await host.CreateDbContextAsync();
        db.MailServers.AddRange(
            DatabaseConfigurationTests.NewServer(host.TenantA, "A default", isDefault: true),
            DatabaseConfigurationTests.NewServer(host.TenantA, "Not default", isDefault: false),
            DatabaseConfigurationTests.NewServer(host.TenantB, "B default", isDefault: true));
        await db.SaveChangesAsync();

        db.MailServers.Add(DatabaseConfigurationTests.NewServer(host.TenantA, "Second default", isDefault: true));
        var act = () => db.SaveChangesAsync();

        (await act.Should().ThrowAsync<DbUpdateException>()).Which.IsUniqueViolation().Should().BeTrue();
    }

    [Fact]
    public async Task An_address_is_unique_per_tenant_whatever_its_case()
    {
        var servers = host.Get<MailServerService>(host.TenantA);
        var server = (await servers.CreateAsync(new MailServerInput { Name = "Out", SmtpHost = "smtp.example.com" })).Value!;
        var accounts = host.Get<EmailAccountService>(host.TenantA);
        (await accounts.CreateAsync(new EmailAccountInput { EmailAddress = "Support@Example.com", DisplayName = "Support", MailServerId = server.Id }))
            .Succeeded.Should().BeTrue();

        var duplicate = await accounts.CreateAsync(new EmailAccountInput { EmailAddress = "support@EXAMPLE.com", DisplayName = "Again", MailServerId = server.Id });

        duplicate.Succeeded.Should().BeFalse();
        duplicate.FieldErrors.Should().ContainKey(nameof(EmailAccountInput.EmailAddress));
    }

    [Fact]
    public async Task Timestamps_are_stored_as_utc_and_read_back_as_the_same_instant()
    {
        var at = new DateTime(2026, 3, 1, 10, 30, 15, DateTimeKind.Utc);
        await using (var db = await host.CreateDbContextAsync())
        {
            var server = DatabaseConfigurationTests.NewServer(host.TenantA, "Timed", isDefault: false);
            server.CreatedAt = at;
            db.MailServers.Add(server);
            await db.SaveChangesAsync();
        }

        await using var read = await host.CreateDbContextAsync();
        var stored = (await read.MailServers.SingleAsync(s => s.Name == "Timed")).CreatedAt;
        // PostgreSQL's timestamptz returns Kind=Utc; SQLite stores text and returns Unspecified. The instant is the same.
        DateTime.SpecifyKind(stored, DateTimeKind.Utc).Should().Be(at);
    }
}

/// <summary>The same schema checks on PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class ProviderSchemaTestsOnPostgres : ProviderSchemaTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
