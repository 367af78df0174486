using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EmailSettings.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class SyncFolders : Migration
    {
        /// <inheritdoc />
        /// <remarks>
        /// Moves every account's INBOX position (UIDVALIDITY, last UID, HIGHESTMODSEQ) into a SyncFolders row named INBOX
        /// and puts the account's stored messages in that folder before the old columns go. The two statements quote
        /// every identifier and use no booleans, so they read the same in the SQLite and the PostgreSQL assembly.
        /// </remarks>
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SyncFolders",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    EmailAccountId = table.Column<int>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    UidValidity = table.Column<long>(type: "INTEGER", nullable: true),
                    LastSyncedUid = table.Column<long>(type: "INTEGER", nullable: false),
                    HighestModSeq = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SyncFolders", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SyncFolders_EmailAccounts_EmailAccountId",
                        column: x => x.EmailAccountId,
                        principalTable: "EmailAccounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SyncFolders_Tenants_TenantId",
                        column: x => x.TenantId,
                        principalTable: "Tenants",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SyncFolders_EmailAccountId_Name",
                table: "SyncFolders",
                columns: new[] { "EmailAccountId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SyncFolders_TenantId",
                table: "SyncFolders",
                column: "TenantId");

            // Hand-written: every account's INBOX position becomes its INBOX folder row, and its stored messages move into
            // that folder, so existing accounts go on syncing where they stopped (nothing is downloaded again).
            migrationBuilder.Sql("""
                INSERT INTO "SyncFolders" ("TenantId", "EmailAccountId", "Name", "UidValidity", "LastSyncedUid", "HighestModSeq", "CreatedAt")
                SELECT "TenantId", "Id", 'INBOX', "UidValidity", "LastSyncedUid", "HighestModSeq", "CreatedAt" FROM "EmailAccounts";
                """);

            migrationBuilder.AddColumn<bool>(
                name: "IsAnswered",
                table: "SyncedMessages",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "IsFlagged",
                table: "SyncedMessages",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "SyncFolderId",
                table: "SyncedMessages",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.Sql("""
                UPDATE "SyncedMessages" SET "SyncFolderId" = (
                    SELECT "f"."Id" FROM "SyncFolders" AS "f"
                    WHERE "f"."EmailAccountId" = "SyncedMessages"."EmailAccountId" AND "f"."Name" = 'INBOX');
                """);

            migrationBuilder.DropIndex(
                name: "IX_SyncedMessages_EmailAccountId_UidValidity_Uid",
                table: "SyncedMessages");

            migrationBuilder.CreateIndex(
                name: "IX_SyncedMessages_SyncFolderId_Date",
                table: "SyncedMessages",
                columns: new[] { "SyncFolderId", "Date" });

            migrationBuilder.CreateIndex(
                name: "IX_SyncedMessages_SyncFolderId_UidValidity_Uid",
                table: "SyncedMessages",
                columns: new[] { "SyncFolderId", "UidValidity", "Uid" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_SyncedMessages_SyncFolders_SyncFolderId",
                table: "SyncedMessages",
                column: "SyncFolderId",
                principalTable: "SyncFolders",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.DropColumn(
                name: "HighestModSeq",
                table: "EmailAccounts");

            migrationBuilder.DropColumn(
                name: "LastSyncedUid",
                table: "EmailAccounts");

            migrationBuilder.DropColumn(
                name: "UidValidity",
                table: "EmailAccounts");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "HighestModSeq",
                table: "EmailAccounts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LastSyncedUid",
                table: "EmailAccounts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "UidValidity",
                table: "EmailAccounts",
                type: "INTEGER",
                nullable: true);

            // Hand-written: INBOX's position goes back onto the account, and the messages of other folders go (the old
            // schema cannot hold them), so the release before folders goes on where INBOX stopped.
            migrationBuilder.Sql("""
                UPDATE "EmailAccounts" SET
                    "UidValidity" = (SELECT "f"."UidValidity" FROM "SyncFolders" AS "f" WHERE "f"."EmailAccountId" = "EmailAccounts"."Id" AND "f"."Name" = 'INBOX'),
                    "LastSyncedUid" = COALESCE((SELECT "f"."LastSyncedUid" FROM "SyncFolders" AS "f" WHERE "f"."EmailAccountId" = "EmailAccounts"."Id" AND "f"."Name" = 'INBOX'), 0),
                    "HighestModSeq" = (SELECT "f"."HighestModSeq" FROM "SyncFolders" AS "f" WHERE "f"."EmailAccountId" = "EmailAccounts"."Id" AND "f"."Name" = 'INBOX');
                DELETE FROM "SyncedMessages" WHERE "SyncFolderId" NOT IN (SELECT "f"."Id" FROM "SyncFolders" AS "f" WHERE "f"."Name" = 'INBOX');
                """);

            // Hand-written rebuild of SyncedMessages as the release before folders had it. EF would rebuild the table at
            // the end of the migration, after SyncFolders is dropped, and dropping SyncFolders while the messages still
            // reference it deletes them (ON DELETE CASCADE; foreign keys cannot be switched off inside the transaction).
            migrationBuilder.Sql("""
                CREATE TABLE "ef_temp_SyncedMessages" (
                    "Id" INTEGER NOT NULL CONSTRAINT "PK_SyncedMessages" PRIMARY KEY AUTOINCREMENT,
                    "Date" TEXT NULL,
                    "EmailAccountId" INTEGER NOT NULL,
                    "From" TEXT NOT NULL,
                    "IsSeen" INTEGER NOT NULL,
                    "MessageId" TEXT NULL,
                    "Preview" TEXT NOT NULL,
                    "Size" INTEGER NOT NULL,
                    "Subject" TEXT NOT NULL,
                    "SyncedAt" TEXT NOT NULL,
                    "TenantId" TEXT NOT NULL,
                    "To" TEXT NOT NULL,
                    "Uid" INTEGER NOT NULL,
                    "UidValidity" INTEGER NOT NULL,
                    CONSTRAINT "FK_SyncedMessages_EmailAccounts_EmailAccountId" FOREIGN KEY ("EmailAccountId") REFERENCES "EmailAccounts" ("Id") ON DELETE CASCADE
                );
                INSERT INTO "ef_temp_SyncedMessages" ("Id", "Date", "EmailAccountId", "From", "IsSeen", "MessageId", "Preview", "Size", "Subject", "SyncedAt", "TenantId", "To", "Uid", "UidValidity")
                SELECT "Id", "Date", "EmailAccountId", "From", "IsSeen", "MessageId", "Preview", "Size", "Subject", "SyncedAt", "TenantId", "To", "Uid", "UidValidity"
                FROM "SyncedMessages";
                DROP TABLE "SyncedMessages";
                ALTER TABLE "ef_temp_SyncedMessages" RENAME TO "SyncedMessages";
                CREATE INDEX "IX_SyncedMessages_EmailAccountId_Date" ON "SyncedMessages" ("EmailAccountId", "Date");
                CREATE UNIQUE INDEX "IX_SyncedMessages_EmailAccountId_UidValidity_Uid" ON "SyncedMessages" ("EmailAccountId", "UidValidity", "Uid");
                CREATE INDEX "IX_SyncedMessages_TenantId" ON "SyncedMessages" ("TenantId");
                """);

            // Last, when no message refers to it any more.
            migrationBuilder.DropTable(
                name: "SyncFolders");
        }
    }
}
