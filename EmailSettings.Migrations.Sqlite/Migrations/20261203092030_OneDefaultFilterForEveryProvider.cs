using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EmailSettings.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class OneDefaultFilterForEveryProvider : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_MailServers_OneDefaultPerTenant",
                table: "MailServers");

            migrationBuilder.DropIndex(
                name: "IX_EmailAccounts_OneDefaultPerTenant",
                table: "EmailAccounts");

            migrationBuilder.CreateIndex(
                name: "IX_MailServers_OneDefaultPerTenant",
                table: "MailServers",
                column: "TenantId",
                unique: true,
                filter: "\"IsDefault\"");

            migrationBuilder.CreateIndex(
                name: "IX_EmailAccounts_OneDefaultPerTenant",
                table: "EmailAccounts",
                column: "TenantId",
                unique: true,
                filter: "\"IsDefault\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_MailServers_OneDefaultPerTenant",
                table: "MailServers");

            migrationBuilder.DropIndex(
                name: "IX_EmailAccounts_OneDefaultPerTenant",
                table: "EmailAccounts");

            migrationBuilder.CreateIndex(
                name: "IX_MailServers_OneDefaultPerTenant",
                table: "MailServers",
                column: "TenantId",
                unique: true,
                filter: "\"IsDefault\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_EmailAccounts_OneDefaultPerTenant",
                table: "EmailAccounts",
                column: "TenantId",
                unique: true,
                filter: "\"IsDefault\" = 1");
        }
    }
}
