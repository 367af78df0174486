using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EmailSettings.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class LeanerMessageRows : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_SyncedMessages_EmailAccounts_EmailAccountId",
                table: "SyncedMessages");

            migrationBuilder.DropIndex(
                name: "IX_SyncedMessages_TenantId",
                table: "SyncedMessages");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_SyncedMessages_TenantId",
                table: "SyncedMessages",
                column: "TenantId");

            migrationBuilder.AddForeignKey(
                name: "FK_SyncedMessages_EmailAccounts_EmailAccountId",
                table: "SyncedMessages",
                column: "EmailAccountId",
                principalTable: "EmailAccounts",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
