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

        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText =
            $"INSERT INTO {tableName} ({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.Column)))}) " +
            $"VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})";

        // Parameters are made once by EF's type mappings (which configure how each type is bound) and only get new
        // values per row; no property of SyncedMessage has a value converter, checked below.
        var parameters = new DbParameter[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            var (property, _, mapping) = columns[i];
            if (mapping.Converter is not null)
            {
                throw new InvalidOperationException($"SyncedMessage.{property.Name} has a value converter; extend {nameof(SyncedMessageInserter)} to apply it.");
            }
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
}
