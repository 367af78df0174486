using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace EmailSettings.Migrations.Postgres.Migrations
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
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    EmailAccountId = table.Column<int>(type: "integer", nullable: false),
                    Name = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    UidValidity = table.Column<long>(type: "bigint", nullable: true),
                    LastSyncedUid = table.Column<long>(type: "bigint", nullable: false),
                    HighestModSeq = table.Column<long>(type: "bigint", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "IsFlagged",
                table: "SyncedMessages",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "SyncFolderId",
                table: "SyncedMessages",
                type: "integer",
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
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LastSyncedUid",
                table: "EmailAccounts",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "UidValidity",
                table: "EmailAccounts",
                type: "bigint",
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

            migrationBuilder.DropForeignKey(
                name: "FK_SyncedMessages_SyncFolders_SyncFolderId",
                table: "SyncedMessages");

            migrationBuilder.DropIndex(
                name: "IX_SyncedMessages_SyncFolderId_Date",
                table: "SyncedMessages");

            migrationBuilder.DropIndex(
                name: "IX_SyncedMessages_SyncFolderId_UidValidity_Uid",
                table: "SyncedMessages");

            migrationBuilder.DropColumn(
                name: "IsAnswered",
                table: "SyncedMessages");

            migrationBuilder.DropColumn(
                name: "IsFlagged",
                table: "SyncedMessages");

            migrationBuilder.DropColumn(
                name: "SyncFolderId",
                table: "SyncedMessages");

            migrationBuilder.CreateIndex(
                name: "IX_SyncedMessages_EmailAccountId_UidValidity_Uid",
                table: "SyncedMessages",
                columns: new[] { "EmailAccountId", "UidValidity", "Uid" },
                unique: true);

            // Last: dropping SyncFolders while SyncedMessages still referenced it would cascade to the messages.
            migrationBuilder.DropTable(
                name: "SyncFolders");
        }
    }
}
