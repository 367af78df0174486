using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace EmailSettings.Migrations.Postgres.Migrations
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
                type: "boolean",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "SyncPausedAt",
                table: "EmailAccounts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "SyncResumedAt",
                table: "EmailAccounts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AccountAlerts",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    EmailAccountId = table.Column<int>(type: "integer", nullable: false),
                    Kind = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    Reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    Since = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RaisedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
