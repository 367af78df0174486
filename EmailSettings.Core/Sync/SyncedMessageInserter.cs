using System.Data.Common;
using EmailSettings.Core.Data;
using EmailSettings.Core.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace EmailSettings.Core.Sync;

/// <summary>
/// Inserts the synced messages of one batch inside the caller's transaction, skipping those already stored (same
/// folder, UIDVALIDITY and UID), and returns how many it inserted.
/// </summary>
/// <remarks>
/// Why not <c>SaveChanges</c>: EF Core issues one <c>INSERT ... RETURNING</c> per row and tracks every entity, which
/// made the initial sync of 10,000 messages about four times slower than fetching them from the IMAP server
/// (docs/benchmarks.md). The sync never needs the generated ids back. Table, column names and column types come from
/// the EF model and its type mappings, so the rows are stored exactly as EF stores them.
/// <list type="bullet">
/// <item>SQLite (in-process): one prepared <c>INSERT ... ON CONFLICT DO NOTHING</c> reused for every row.</item>
/// <item>PostgreSQL: one statement per batch, <c>INSERT ... SELECT * FROM unnest($1, $2, ...) ON CONFLICT DO
/// NOTHING</c> with one array parameter per column: one round trip, one parse and one plan for the whole batch
/// (a statement per row cost a round trip each; 200 pipelined statements still parsed and planned 200 times).
/// The sync sends it within <see cref="PostgresBatchCommit"/>.</item>
/// </list>
/// </remarks>
internal static class SyncedMessageInserter
{
    public static async Task<int> InsertAsync(EmailSettingsDbContext db, IReadOnlyList<SyncedMessage> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return 0;
        }
        var transaction = (db.Database.CurrentTransaction
            ?? throw new InvalidOperationException("Synced messages are inserted only inside the batch transaction.")).GetDbTransaction();
        if (transaction is NpgsqlTransaction npgsql)
        {
            await using var batch = new NpgsqlBatch(npgsql.Connection, npgsql);
            var insert = ArraysCommand(db, rows);
            batch.BatchCommands.Add(insert);
            await batch.ExecuteNonQueryAsync(ct);
            return checked((int)insert.RecordsAffected);
        }
        var statement = Statement.Of(db);
        return await InsertRowByRowAsync(transaction, statement, rows, ct);
    }

    /// <summary>
    /// PostgreSQL: the whole batch as one <c>INSERT ... SELECT * FROM unnest($1, $2, ...)</c>, one array parameter
    /// per column cast to the column's store type (one round trip, one parse and one plan), with <c>ON CONFLICT DO
    /// NOTHING</c> unless <paramref name="skipStored"/> is false (then a stored UID fails the whole statement).
    /// </summary>
    public static NpgsqlBatchCommand ArraysCommand(EmailSettingsDbContext db, IReadOnlyList<SyncedMessage> rows, bool skipStored = true)
    {
        var statement = Statement.Of(db);
        var columns = statement.Columns;
        var insert = new NpgsqlBatchCommand(
            statement.Into + $"SELECT * FROM unnest({string.Join(", ", columns.Select((c, i) => $"${i + 1}::{c.Mapping.StoreTypeNameBase}[]"))})" + (skipStored ? statement.SkipStored : ""));
        foreach (var column in columns)
        {
            var values = Array.CreateInstance(column.Property.ClrType, rows.Count);
            for (var r = 0; r < rows.Count; r++)
            {
                values.SetValue(column.Property.PropertyInfo!.GetValue(rows[r]), r);
            }
            insert.Parameters.Add(new NpgsqlParameter { Value = values });
        }
        return insert;
    }

    /// <summary>One prepared INSERT, its parameters made once by EF's type mappings and given new values per row.</summary>
    private static async Task<int> InsertRowByRowAsync(DbTransaction transaction, Statement statement, IReadOnlyList<SyncedMessage> rows, CancellationToken ct)
    {
        var columns = statement.Columns;
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = statement.Into + $"VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})" + statement.SkipStored;
        var parameters = new DbParameter[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            var column = columns[i];
            parameters[i] = column.Mapping.CreateParameter(command, "@p" + i, column.Property.PropertyInfo!.GetValue(rows[0]), column.Property.IsNullable);
            command.Parameters.Add(parameters[i]);
        }
        var inserted = 0;
        foreach (var row in rows)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                parameters[i].Value = columns[i].Property.PropertyInfo!.GetValue(row) ?? DBNull.Value;
            }
            inserted += await command.ExecuteNonQueryAsync(ct);
        }
        return inserted;
    }

    /// <summary>A property to insert, its delimited column and its type mapping.</summary>
    private sealed record Column(IProperty Property, string Name, RelationalTypeMapping Mapping);

    /// <summary>The INSERT's head (table and columns) and its ON CONFLICT tail, from the EF model.</summary>
    private sealed record Statement(IReadOnlyList<Column> Columns, string Into, string SkipStored)
    {
        public static Statement Of(EmailSettingsDbContext db)
        {
            var table = StoreTable.Of<SyncedMessage>(db);
            var columns = table.Entity.GetProperties()
                .Where(p => p.ValueGenerated == ValueGenerated.Never && p.PropertyInfo is not null)
                .Select(p => new Column(p, table[p.Name], p.GetRelationalTypeMapping()))
                .ToList();
            foreach (var column in columns)
            {
                // No property of SyncedMessage has a value converter: the values are bound as they are.
                if (column.Mapping.Converter is not null)
                {
                    throw new InvalidOperationException($"SyncedMessage.{column.Property.Name} has a value converter; extend {nameof(SyncedMessageInserter)} to apply it.");
                }
            }
            // The one unique key of a message: its folder, UIDVALIDITY and UID. A row already stored is skipped.
            var unique = table.Entity.GetIndexes().Single(i => i.IsUnique).Properties.Select(p => table[p.Name]);
            return new Statement(
                columns,
                $"INSERT INTO {table.Name} ({string.Join(", ", columns.Select(c => c.Name))}) ",
                $" ON CONFLICT ({string.Join(", ", unique)}) DO NOTHING");
        }
    }
}
