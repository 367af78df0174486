using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Identity;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Messages;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Data;

public sealed class EmailSettingsDbContext(DbContextOptions<EmailSettingsDbContext> options)
    : IdentityDbContext<PortalUser>(options)
{
    /// <summary>
    /// When set, tenant-owned rows of other tenants are filtered out of every query: a second line of defence
    /// behind the explicit tenant checks in the services. Null for background work that spans tenants.
    /// </summary>
    public Guid? CurrentTenantId { get; set; }

    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<MailServer> MailServers => Set<MailServer>();
    public DbSet<EmailAccount> EmailAccounts => Set<EmailAccount>();
    public DbSet<SyncedMessage> SyncedMessages => Set<SyncedMessage>();
    public DbSet<EmailLogEntry> EmailLog => Set<EmailLogEntry>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<Tenant>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(100);
        });

        builder.Entity<PortalUser>(e =>
        {
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.TenantId);
        });

        builder.Entity<MailServer>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.SmtpHost).HasMaxLength(253);
            e.Property(x => x.SmtpUsername).HasMaxLength(256);
            e.Property(x => x.PinnedCertificateSha256).HasMaxLength(64);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.TenantId).IsUnique().HasFilter("\"IsDefault\"")
                .HasDatabaseName("IX_MailServers_OneDefaultPerTenant");
            e.HasIndex(x => new { x.TenantId, x.Name });
            e.HasQueryFilter(x => CurrentTenantId == null || x.TenantId == CurrentTenantId);
        });

        builder.Entity<EmailAccount>(e =>
        {
            e.Property(x => x.EmailAddress).HasMaxLength(254);
            e.Property(x => x.NormalizedEmailAddress).HasMaxLength(254);
            e.Property(x => x.DisplayName).HasMaxLength(100);
            e.Property(x => x.ImapHost).HasMaxLength(253);
            e.Property(x => x.ImapUsername).HasMaxLength(256);
            e.Property(x => x.ImapPinnedCertificateSha256).HasMaxLength(64);
            e.Property(x => x.LastSyncError).HasMaxLength(2000);
            e.Property(x => x.LastSyncErrorKind).HasMaxLength(50);
            e.Ignore(x => x.IsImapConfigured);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(x => x.MailServer).WithMany(x => x.Accounts).HasForeignKey(x => x.MailServerId)
                .OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(x => new { x.TenantId, x.NormalizedEmailAddress }).IsUnique();
            e.HasIndex(x => x.TenantId).IsUnique().HasFilter("\"IsDefault\"")
                .HasDatabaseName("IX_EmailAccounts_OneDefaultPerTenant");
            e.HasQueryFilter(x => CurrentTenantId == null || x.TenantId == CurrentTenantId);
        });

        builder.Entity<SyncedMessage>(e =>
        {
            e.Property(x => x.MessageId).HasMaxLength(998);
            e.Property(x => x.From).HasMaxLength(1000);
            e.Property(x => x.To).HasMaxLength(2000);
            e.Property(x => x.Subject).HasMaxLength(1000);
            e.Property(x => x.Preview).HasMaxLength(SyncedMessage.PreviewLength);
            e.HasOne<EmailAccount>().WithMany().HasForeignKey(x => x.EmailAccountId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.EmailAccountId, x.UidValidity, x.Uid }).IsUnique();
            e.HasIndex(x => new { x.EmailAccountId, x.Date });
            e.HasIndex(x => x.TenantId);
            e.HasQueryFilter(x => CurrentTenantId == null || x.TenantId == CurrentTenantId);
        });

        builder.Entity<EmailLogEntry>(e =>
        {
            e.Property(x => x.FromAddress).HasMaxLength(254);
            e.Property(x => x.Recipients).HasMaxLength(2000);
            e.Property(x => x.Subject).HasMaxLength(1000);
            e.Property(x => x.ServerResponse).HasMaxLength(2000);
            e.Property(x => x.Error).HasMaxLength(2000);
            e.Property(x => x.MessageId).HasMaxLength(998);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<EmailAccount>().WithMany().HasForeignKey(x => x.EmailAccountId).OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(x => new { x.TenantId, x.AttemptedAt });
            e.HasQueryFilter(x => CurrentTenantId == null || x.TenantId == CurrentTenantId);
        });
    }
}
