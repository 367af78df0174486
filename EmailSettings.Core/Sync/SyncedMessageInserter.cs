using System.Data.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace EmailSettings.Core.Sync;

/// <summary>
/// Inserts synced messages with one prepared INSERT reused for every row, inside the caller's transaction.
/// </summary>
/// <remarks>
/// Why not <c>SaveChanges</c>: EF Core's SQLite provider issues one INSERT ... RETURNING per row and tracks every
/// entity, which made the initial sync of 10,000 messages about four times slower than fetching them from the IMAP
/// server (docs/benchmarks.md). The sync never needs the generated ids back. Table, column names and parameter
/// conversions come from the EF model and its type mappings, so the rows are stored exactly as EF stores them.
/// Where the connection supports ADO.NET batches (Npgsql), a whole batch of rows goes to the server in one round trip:
/// against PostgreSQL one INSERT per row cost a network round trip each, about 5x the bare IMAP session for 10,000
/// messages (docs/benchmarks.md). Microsoft.Data.Sqlite has no batches; in-process SQLite gains nothing from them.
/// </remarks>
internal static class SyncedMessageInserter
{
    public static async Task InsertAsync(EmailSettingsDbContext db, IReadOnlyList<SyncedMessage> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }
        var transaction = db.Database.CurrentTransaction
            ?? throw new InvalidOperationException("Synced messages are inserted only inside the batch transaction.");

        var entity = db.Model.FindEntityType(typeof(SyncedMessage))!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var columns = entity.GetProperties()
            .Where(p => p.ValueGenerated == ValueGenerated.Never && p.PropertyInfo is not null)
            .Select(p => (Property: p, Column: p.GetColumnName(table)!, Mapping: p.GetRelationalTypeMapping()))
            .ToList();
        var sql = db.GetService<ISqlGenerationHelper>();
        var tableName = sql.DelimitIdentifier(table.Name, table.Schema);

        foreach (var (property, _, mapping) in columns)
        {
            // No property of SyncedMessage has a value converter: the values are bound as they are.
            if (mapping.Converter is not null)
            {
                throw new InvalidOperationException($"SyncedMessage.{property.Name} has a value converter; extend {nameof(SyncedMessageInserter)} to apply it.");
            }
        }

        var connection = db.Database.GetDbConnection();
        var insert =
            $"INSERT INTO {tableName} ({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.Column)))}) " +
            $"VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";
        if (connection.CanCreateBatch)
        {
            await InsertAsBatchAsync(connection, transaction.GetDbTransaction(), insert, columns, rows, ct);
            return;
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText = insert;

        // Parameters are made once by EF's type mappings (which configure how each type is bound) and only get new
        // values per row.
        var parameters = new DbParameter[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            var (property, _, mapping) = columns[i];
            parameters[i] = mapping.CreateParameter(command, "@p" + i, property.PropertyInfo!.GetValue(rows[0]), property.IsNullable);
            command.Parameters.Add(parameters[i]);
        }
        foreach (var row in rows)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                parameters[i].Value = columns[i].Property.PropertyInfo!.GetValue(row) ?? DBNull.Value;
            }
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>One batch command per row, all sent and committed with the caller's transaction in one round trip.</summary>
    private static async Task InsertAsBatchAsync(DbConnection connection, DbTransaction transaction, string insert,
        IReadOnlyList<(IProperty Property, string Column, RelationalTypeMapping Mapping)> columns,
        IReadOnlyList<SyncedMessage> rows, CancellationToken ct)
    {
        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        // EF's type mappings configure a parameter through a command; the parameters it makes are then moved to the
        // row's batch command (a parameter belongs to no command until it is added to one).
        await using var factory = connection.CreateCommand();
        foreach (var row in rows)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = insert;
            for (var i = 0; i < columns.Count; i++)
            {
                var (property, _, mapping) = columns[i];
                command.Parameters.Add(mapping.CreateParameter(factory, "@p" + i, property.PropertyInfo!.GetValue(row), property.IsNullable));
            }
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }
}
