using EmailSettings.Core.Data;
using EmailSettings.Core.Messages;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace EmailSettings.Core.Sync;

/// <summary>
/// Commits one sync batch on PostgreSQL in a single round trip: the folder's new position, the removal of the older
/// generation's rows it replaces, and the new messages, sent as one <see cref="NpgsqlBatch"/> outside any explicit
/// transaction. PostgreSQL runs the statements of one batch (one Sync message) as one implicit transaction, so the
/// batch is all or nothing exactly as the explicit transaction of the SQLite path is.
/// </summary>
/// <remarks>
/// Why: against PostgreSQL each statement is a network round trip. The SQLite path (EF Core's ExecuteUpdate and
/// ExecuteDelete inside a transaction, then the inserter) costs five per batch here: BEGIN with the position update,
/// the insert, the commit, and the session reset of a connection taken from the pool. The initial sync of 10,000
/// messages spent most of its time waiting for them (docs/benchmarks.md). Table and column names come from the EF
/// model, so these statements write exactly what EF would.
/// </remarks>
internal static class PostgresBatchCommit
{
    /// <summary>What one batch writes.</summary>
    public sealed record Batch(
        Guid TenantId,
        int AccountId,
        int FolderId,
        long UidValidity,
        long LastSyncedUid,
        bool SetHighestModSeq,
        long? HighestModSeq,
        IReadOnlyList<SyncedMessage> Rows,
        IReadOnlyList<string> ReplacedMessageIds,
        bool DropOldGeneration);

    /// <summary>What the batch did; <see cref="FolderFound"/> false when the folder row is gone and nothing was written.</summary>
    public readonly record struct Outcome(bool FolderFound, int Inserted, int Dropped);

    public static async Task<Outcome> ExecuteAsync(EmailSettingsDbContext db, Batch batch, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException("A sync batch is its own transaction: commit it outside any other.");
        }
        var folders = StoreTable.Of<SyncFolder>(db);
        var messages = StoreTable.Of<SyncedMessage>(db);
        // Opened once for the folder's batches by the caller (or here), and closed with the context.
        await db.Database.OpenConnectionAsync(ct);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        try
        {
            return await AttemptAsync(connection, folders, messages, batch, skipStored: false, db, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.TableName == messages.TableName)
        {
            // Some of these UIDs are stored already (a range fetched again). Rare, so the plain INSERT comes first
            // (ON CONFLICT's speculative insertion costs every row); the batch was rolled back as a whole.
            return await AttemptAsync(connection, folders, messages, batch, skipStored: true, db, ct);
        }
    }

    private static async Task<Outcome> AttemptAsync(
        NpgsqlConnection connection, StoreTable folders, StoreTable messages, Batch batch, bool skipStored, EmailSettingsDbContext db, CancellationToken ct)
    {
        await using var commands = new NpgsqlBatch(connection);

        // The batch does not wait for its commit to reach the disk. A batch is a copy of what the IMAP server holds,
        // committed together with the folder's position: if PostgreSQL crashes, what it can lose is the last batches
        // as a whole (never part of one, never anything else), and the next run fetches them again. The run's final
        // write of the account's outcome is a normal commit, which also makes every batch before it durable.
        // set_config(..., true) rather than SET LOCAL, which needs an explicit transaction block.
        commands.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('synchronous_commit', 'off', true)"));

        var position = new NpgsqlBatchCommand(
            $"UPDATE {folders.Name} SET {folders[nameof(SyncFolder.UidValidity)]} = $1, {folders[nameof(SyncFolder.LastSyncedUid)]} = $2" +
            (batch.SetHighestModSeq ? $", {folders[nameof(SyncFolder.HighestModSeq)]} = $6" : "") +
            $" WHERE {folders[nameof(SyncFolder.Id)]} = $3 AND {folders[nameof(SyncFolder.EmailAccountId)]} = $4 AND {folders[nameof(SyncFolder.TenantId)]} = $5");
        position.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.UidValidity });
        position.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.LastSyncedUid });
        position.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.FolderId });
        position.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.AccountId });
        position.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = batch.TenantId });
        if (batch.SetHighestModSeq)
        {
            position.Parameters.Add(new NpgsqlParameter
            {
                NpgsqlDbType = NpgsqlDbType.Bigint,
                Value = batch.HighestModSeq is { } modSeq ? modSeq : DBNull.Value,
            });
        }
        commands.BatchCommands.Add(position);

        var otherGeneration = $"{messages[nameof(SyncedMessage.SyncFolderId)]} = $1 AND {messages[nameof(SyncedMessage.UidValidity)]} <> $2";
        if (batch.ReplacedMessageIds.Count > 0)
        {
            var replaced = new NpgsqlBatchCommand(
                $"DELETE FROM {messages.Name} WHERE {otherGeneration} AND {messages[nameof(SyncedMessage.MessageId)]} = ANY($3)");
            replaced.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.FolderId });
            replaced.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.UidValidity });
            replaced.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.ReplacedMessageIds] });
            commands.BatchCommands.Add(replaced);
        }

        var insert = batch.Rows.Count > 0 ? SyncedMessageInserter.ArraysCommand(db, batch.Rows, skipStored) : null;
        if (insert is not null)
        {
            commands.BatchCommands.Add(insert);
        }

        NpgsqlBatchCommand? drop = null;
        if (batch.DropOldGeneration)
        {
            drop = new NpgsqlBatchCommand($"DELETE FROM {messages.Name} WHERE {otherGeneration}");
            drop.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.FolderId });
            drop.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.UidValidity });
            commands.BatchCommands.Add(drop);
        }

        try
        {
            await commands.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation && ex.TableName == messages.TableName)
        {
            // The folder row went away (removed from the account, or the account deleted) before this batch:
            // its messages cannot be stored, and the whole batch was rolled back.
            return new Outcome(false, 0, 0);
        }
        if (position.RecordsAffected == 0)
        {
            // Only possible without rows to insert (they would have failed their foreign key): nothing changed.
            return new Outcome(false, 0, 0);
        }
        return new Outcome(true, insert is null ? 0 : checked((int)insert.RecordsAffected), drop is null ? 0 : checked((int)drop.RecordsAffected));
    }
}
