using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EmailSettings.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class PushAndAccountAlerts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Existing accounts get "Push (IDLE)" on, as new ones do (the model has no database default: EF writes the value).
            migrationBuilder.AddColumn<bool>(
                name: "PushEnabled",
                table: "EmailAccounts",
                type: "INTEGER",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "SyncPausedAt",
                table: "EmailAccounts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "SyncResumedAt",
                table: "EmailAccounts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AccountAlerts",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    EmailAccountId = table.Column<int>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Since = table.Column<DateTime>(type: "TEXT", nullable: false),
                    RaisedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AccountAlerts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AccountAlerts_EmailAccounts_EmailAccountId",
                        column: x => x.EmailAccountId,
                        principalTable: "EmailAccounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AccountAlerts_EmailAccountId_Kind",
                table: "AccountAlerts",
                columns: new[] { "EmailAccountId", "Kind" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AccountAlerts_TenantId",
                table: "AccountAlerts",
                column: "TenantId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AccountAlerts");

            migrationBuilder.DropColumn(
                name: "PushEnabled",
                table: "EmailAccounts");

            migrationBuilder.DropColumn(
                name: "SyncPausedAt",
                table: "EmailAccounts");

            migrationBuilder.DropColumn(
                name: "SyncResumedAt",
                table: "EmailAccounts");
        }
    }
}
