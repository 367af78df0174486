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
        /// Moves every account's INBOX position (UIDVALIDITY, last UID, HIGHESTMODSEQ) into a SyncFolders row named
        /// INBOX and puts the account's stored messages in that folder, so existing accounts go on syncing where they
        /// stopped. Identifiers are quoted, so the statements read the same on SQLite and PostgreSQL.
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
            migrationBuilder.DropForeignKey(
                name: "FK_SyncedMessages_SyncFolders_SyncFolderId",
                table: "SyncedMessages");

            migrationBuilder.DropTable(
                name: "SyncFolders");

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

            migrationBuilder.CreateIndex(
                name: "IX_SyncedMessages_EmailAccountId_UidValidity_Uid",
                table: "SyncedMessages",
                columns: new[] { "EmailAccountId", "UidValidity", "Uid" },
                unique: true);
        }
    }
}
