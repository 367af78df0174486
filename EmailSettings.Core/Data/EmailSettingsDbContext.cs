using EmailSettings.Core.Alerts;
using EmailSettings.Core.Common;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.Identity;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.Messages;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Sync;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace EmailSettings.Core.Data;

public sealed class EmailSettingsDbContext(DbContextOptions<EmailSettingsDbContext> options)
    : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    // Read by the tenant query filter on every query. Fail closed: a context that was never scoped sees no
    // tenant-owned row. Only the factory extensions set them, once (CreateForTenantAsync, CreateForAllTenantsAsync).
    private Guid? tenantId;
    private bool allTenants;

    /// <summary>
    /// The tenant whose rows this context's queries see: a second line of defence behind the explicit tenant checks
    /// in the services. Null when the context sees no tenant-owned row at all, or every tenant's when
    /// <see cref="ActsForAllTenants"/>. Identity (users, roles) and the tenants themselves are not tenant-owned rows.
    /// </summary>
    public Guid? TenantId => tenantId;

    /// <summary>True only for a context created with <c>CreateForAllTenantsAsync</c>, for work that spans tenants.</summary>
    public bool ActsForAllTenants => allTenants;

    internal void ScopeToTenant(Guid tenant)
    {
        if (tenant == Guid.Empty)
        {
            throw new ArgumentException("A tenant id is required.", nameof(tenant));
        }
        EnsureNotScoped();
        tenantId = tenant;
    }

    internal void ScopeToAllTenants()
    {
        EnsureNotScoped();
        allTenants = true;
    }

    private void EnsureNotScoped()
    {
        if (tenantId is not null || allTenants)
        {
            throw new InvalidOperationException("A context's tenant is chosen once, when it is created.");
        }
    }

    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<MailServer> MailServers => Set<MailServer>();
    public DbSet<EmailAccount> EmailAccounts => Set<EmailAccount>();
    public DbSet<SyncFolder> SyncFolders => Set<SyncFolder>();
    public DbSet<SyncedMessage> SyncedMessages => Set<SyncedMessage>();
    public DbSet<EmailLogEntry> EmailLog => Set<EmailLogEntry>();
    public DbSet<OAuthGrant> OAuthGrants => Set<OAuthGrant>();
    public DbSet<OAuthSignInAttempt> OAuthSignInAttempts => Set<OAuthSignInAttempt>();
    public DbSet<AccountAlert> AccountAlerts => Set<AccountAlert>();

    /// <summary>
    /// The Data Protection key ring when the provider is PostgreSQL, shared by every node (SQLite keeps its key folder).
    /// Not tenant-owned: one key ring protects every tenant's secrets, each kind under its own purpose.
    /// </summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<Tenant>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(FieldRules.NameMaxLength);
        });

        builder.Entity<PortalUser>(e =>
        {
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.TenantId);
        });

        builder.Entity<MailServer>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(FieldRules.NameMaxLength);
            e.Property(x => x.SmtpHost).HasMaxLength(FieldRules.HostMaxLength);
            e.Property(x => x.SmtpUsername).HasMaxLength(FieldRules.UsernameMaxLength);
            e.Property(x => x.PinnedCertificateSha256).HasMaxLength(FieldRules.FingerprintLength);
            // Existing rows (and rows written before this column) sign in with their password.
            e.Property(x => x.SignInMethod).HasConversion<string>().HasMaxLength(FieldRules.StatusMaxLength).HasDefaultValue(SignInMethod.Password);
            e.Property(x => x.OAuthProvider).HasMaxLength(FieldRules.ProviderNameMaxLength);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.TenantId).IsUnique().HasFilter("\"IsDefault\"")
                .HasDatabaseName("IX_MailServers_OneDefaultPerTenant");
            e.HasIndex(x => new { x.TenantId, x.Name });
            e.HasQueryFilter(x => allTenants || x.TenantId == tenantId);
        });

        builder.Entity<EmailAccount>(e =>
        {
            e.Property(x => x.EmailAddress).HasMaxLength(FieldRules.EmailMaxLength);
            e.Property(x => x.NormalizedEmailAddress).HasMaxLength(FieldRules.EmailMaxLength);
            e.Property(x => x.DisplayName).HasMaxLength(FieldRules.NameMaxLength);
            e.Property(x => x.ImapHost).HasMaxLength(FieldRules.HostMaxLength);
            e.Property(x => x.ImapUsername).HasMaxLength(FieldRules.UsernameMaxLength);
            e.Property(x => x.ImapPinnedCertificateSha256).HasMaxLength(FieldRules.FingerprintLength);
            e.Property(x => x.ImapSignInMethod).HasConversion<string>().HasMaxLength(FieldRules.StatusMaxLength).HasDefaultValue(SignInMethod.Password);
            e.Property(x => x.ImapOAuthProvider).HasMaxLength(FieldRules.ProviderNameMaxLength);
            e.Property(x => x.LastSyncError).HasMaxLength(FieldRules.ErrorTextMaxLength);
            e.Property(x => x.LastSyncErrorKind).HasMaxLength(FieldRules.ErrorKindMaxLength);
            e.Ignore(x => x.IsImapConfigured);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(x => x.MailServer).WithMany(x => x.Accounts).HasForeignKey(x => x.MailServerId)
                .OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(x => new { x.TenantId, x.NormalizedEmailAddress }).IsUnique();
            e.HasIndex(x => x.TenantId).IsUnique().HasFilter("\"IsDefault\"")
                .HasDatabaseName("IX_EmailAccounts_OneDefaultPerTenant");
            e.HasQueryFilter(x => allTenants || x.TenantId == tenantId);
        });

        builder.Entity<SyncFolder>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(FieldRules.FolderNameMaxLength);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<EmailAccount>().WithMany().HasForeignKey(x => x.EmailAccountId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.EmailAccountId, x.Name }).IsUnique();
            e.HasIndex(x => x.TenantId);
            e.HasQueryFilter(x => allTenants || x.TenantId == tenantId);
        });

        builder.Entity<SyncedMessage>(e =>
        {
            e.Property(x => x.MessageId).HasMaxLength(FieldRules.HeaderLineMaxLength);
            e.Property(x => x.From).HasMaxLength(FieldRules.HeaderTextMaxLength);
            e.Property(x => x.To).HasMaxLength(FieldRules.AddressListMaxLength);
            e.Property(x => x.Subject).HasMaxLength(FieldRules.HeaderTextMaxLength);
            e.Property(x => x.Preview).HasMaxLength(FieldRules.PreviewMaxLength);
            // The folder is the one owner: deleting an account deletes its folders and they their messages.
            // EmailAccountId is the folder's account, copied for the account-wide list (its index below); it has no
            // foreign key of its own, and TenantId no index, because every row written costs each of them (the
            // initial sync writes thousands) and no query needs them: messages are always read by account or folder.
            e.HasOne<SyncFolder>().WithMany().HasForeignKey(x => x.SyncFolderId).OnDelete(DeleteBehavior.Cascade);
            // The folder's position, and the range seeks of the mirror (UIDs of one generation), use this index.
            e.HasIndex(x => new { x.SyncFolderId, x.UidValidity, x.Uid }).IsUnique();
            e.HasIndex(x => new { x.EmailAccountId, x.Date });
            e.HasIndex(x => new { x.SyncFolderId, x.Date });
            e.HasQueryFilter(x => allTenants || x.TenantId == tenantId);
        });

        builder.Entity<AccountAlert>(e =>
        {
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(FieldRules.ErrorKindMaxLength);
            e.Property(x => x.Reason).HasMaxLength(FieldRules.ErrorTextMaxLength);
            e.HasOne<EmailAccount>().WithMany().HasForeignKey(x => x.EmailAccountId).OnDelete(DeleteBehavior.Cascade);
            // One announced problem of each kind per account: the index is what makes "announce once" hold under races.
            e.HasIndex(x => new { x.EmailAccountId, x.Kind }).IsUnique();
            e.HasIndex(x => x.TenantId);
            e.HasQueryFilter(x => allTenants || x.TenantId == tenantId);
        });

        builder.Entity<EmailLogEntry>(e =>
        {
            e.Property(x => x.FromAddress).HasMaxLength(FieldRules.EmailMaxLength);
            e.Property(x => x.Recipients).HasMaxLength(FieldRules.AddressListMaxLength);
            e.Property(x => x.Subject).HasMaxLength(FieldRules.HeaderTextMaxLength);
            e.Property(x => x.ServerResponse).HasMaxLength(FieldRules.ErrorTextMaxLength);
            e.Property(x => x.Error).HasMaxLength(FieldRules.ErrorTextMaxLength);
            e.Property(x => x.MessageId).HasMaxLength(FieldRules.HeaderLineMaxLength);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(FieldRules.StatusMaxLength);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<EmailAccount>().WithMany().HasForeignKey(x => x.EmailAccountId).OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(x => new { x.TenantId, x.AttemptedAt });
            e.HasQueryFilter(x => allTenants || x.TenantId == tenantId);
        });

        // One grant per record at most; a grant is deleted with its record (and with its tenant).
        builder.Entity<OAuthGrant>(e =>
        {
            e.Property(x => x.ProviderName).HasMaxLength(FieldRules.ProviderNameMaxLength);
            e.Property(x => x.Flow).HasConversion<string>().HasMaxLength(FieldRules.StatusMaxLength);
            e.Property(x => x.TargetKind).HasConversion<string>().HasMaxLength(FieldRules.StatusMaxLength);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(FieldRules.StatusMaxLength);
            e.Property(x => x.Address).HasMaxLength(FieldRules.EmailMaxLength);
            e.Property(x => x.Problem).HasMaxLength(FieldRules.ErrorTextMaxLength);
            e.Property(x => x.CreatedByUserId).HasMaxLength(FieldRules.UserIdMaxLength);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<MailServer>().WithMany().HasForeignKey(x => x.MailServerId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<EmailAccount>().WithMany().HasForeignKey(x => x.EmailAccountId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.MailServerId).IsUnique();
            e.HasIndex(x => x.EmailAccountId).IsUnique();
            e.HasIndex(x => new { x.TenantId, x.PendingUntil });
            e.HasQueryFilter(x => allTenants || x.TenantId == tenantId);
        });

        builder.Entity<OAuthSignInAttempt>(e =>
        {
            e.Property(x => x.Handle).HasMaxLength(FieldRules.HandleMaxLength);
            e.Property(x => x.UserId).HasMaxLength(FieldRules.UserIdMaxLength);
            e.Property(x => x.ProviderName).HasMaxLength(FieldRules.ProviderNameMaxLength);
            e.Property(x => x.TargetKind).HasConversion<string>().HasMaxLength(FieldRules.StatusMaxLength);
            e.Property(x => x.Error).HasMaxLength(FieldRules.ErrorTextMaxLength);
            e.HasOne<Tenant>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.Handle).IsUnique();
            e.HasIndex(x => x.ExpiresAt);
            e.HasQueryFilter(x => allTenants || x.TenantId == tenantId);
        });
    }
}
