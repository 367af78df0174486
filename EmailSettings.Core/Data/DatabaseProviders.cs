using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace EmailSettings.Core.Data;

/// <summary>What differs between SQLite and PostgreSQL, in one place.</summary>
public static class DatabaseProviders
{
    /// <summary>Points EF Core at the configured provider and at that provider's migrations assembly.</summary>
    public static DbContextOptionsBuilder UseEmailSettingsDatabase(this DbContextOptionsBuilder builder, DatabaseOptions database) =>
        database.Provider switch
        {
            DatabaseProvider.Postgres => builder.UseNpgsql(database.ConnectionString, o => o.MigrationsAssembly(database.MigrationsAssembly)),
            _ => builder.UseSqlite(database.ConnectionString, o => o.MigrationsAssembly(database.MigrationsAssembly)),
        };

    /// <inheritdoc cref="UseEmailSettingsDatabase(DbContextOptionsBuilder, DatabaseOptions)"/>
    public static DbContextOptionsBuilder<EmailSettingsDbContext> UseEmailSettingsDatabase(
        this DbContextOptionsBuilder<EmailSettingsDbContext> builder, DatabaseOptions database)
    {
        ((DbContextOptionsBuilder)builder).UseEmailSettingsDatabase(database);
        return builder;
    }

    /// <summary>True when the save broke a unique index (or, on SQLite, any constraint: it reports them with one code).</summary>
    public static bool IsUniqueViolation(this DbUpdateException exception) => exception.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>
    /// Starts a transaction that changes one tenant's servers or accounts, serialised with every other such transaction
    /// of that tenant, so "check, then write" (one default per tenant, unique addresses) cannot interleave.
    /// SQLite: Microsoft.Data.Sqlite begins with BEGIN IMMEDIATE, which takes the database's write lock at once.
    /// PostgreSQL (READ COMMITTED): the transaction first locks the tenant's row.
    /// </summary>
    internal static async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> BeginTenantWriteAsync(
        this EmailSettingsDbContext db, Guid tenantId, CancellationToken ct)
    {
        var transaction = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM \"Tenants\" WHERE \"Id\" = {tenantId} FOR UPDATE", ct);
        }
        return transaction;
    }

    /// <summary>A database error that means "cannot reach or open the database" rather than a bug.</summary>
    internal static bool IsConnectionFailure(Exception exception) =>
        exception is DbException or TimeoutException || exception.InnerException is DbException or System.Net.Sockets.SocketException;
}
