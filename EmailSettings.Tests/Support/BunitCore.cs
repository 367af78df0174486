using Bunit;
using Bunit.Rendering;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MudBlazor;
using MudBlazor.Services;

namespace EmailSettings.Tests.Support;

/// <summary>
/// A bUnit context for Portal components over the real Core: <see cref="CoreTestHost"/> (its own SQLite file) acting as
/// an admin of <see cref="CoreTestHost.TenantA"/>, MudBlazor services, an interactive Server renderer, and the providers
/// (popover, dialog, snackbar) that the layout normally renders. Dispose with <c>await using</c>.
/// </summary>
/// <example>
/// <code>
/// await using var ui = await BunitCore.CreateAsync();
/// var server = await ui.AddServerAsync("Production SMTP");
/// var dialog = await ui.ShowDialogAsync&lt;MailServerDialog&gt;(new DialogParameters&lt;MailServerDialog&gt; { { d => d.ServerId, server.Id } });
/// ui.Providers.WaitForAssertion(() => ui.Providers.Find("#smtp-host").GetAttribute("value").Should().Be("smtp.example.com"));
/// </code>
/// </example>
public sealed class BunitCore : IAsyncDisposable
{
    private IRenderedComponent<ContainerFragment>? providers;

    private BunitCore(CoreTestHost core, Guid tenantId)
    {
        Core = core;
        TenantId = tenantId;
        Context = new BunitContext();
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
        Context.Services.AddMudServices(o =>
        {
            // Snackbars stay until the test reads them.
            o.SnackbarConfiguration.VisibleStateDuration = int.MaxValue;
            o.SnackbarConfiguration.ShowTransitionDuration = 0;
            o.SnackbarConfiguration.HideTransitionDuration = 0;
        });
        // Everything MudBlazor and bUnit do not provide (the Core services, TimeProvider) comes from one scope of the Core host.
        Context.Services.AddFallbackServiceProvider(core.Scope(tenantId));
        // After the services: setting it builds the renderer, which locks the service collection.
        Context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public BunitContext Context { get; }
    public CoreTestHost Core { get; }
    public Guid TenantId { get; }

    /// <summary>The rendered MudPopoverProvider, MudDialogProvider and MudSnackbarProvider: open dialogs and snackbars render here.</summary>
    public IRenderedComponent<ContainerFragment> Providers => providers ??= Context.Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<MudDialogProvider>(1);
        b.CloseComponent();
        b.OpenComponent<MudSnackbarProvider>(2);
        b.CloseComponent();
    });

    /// <param name="configure">
    /// Changes the Core host before it is built, as <see cref="CoreTestHost.CreateAsync"/> does. Settings detection looks
    /// nothing up on the network unless it sets "Autodetect:Enabled" again (tests reach no internet; AutodetectWorld is local).
    /// </param>
    public static async Task<BunitCore> CreateAsync(Action<HostApplicationBuilder>? configure = null)
    {
        var core = await CoreTestHost.CreateAsync(builder =>
        {
            builder.Configuration["Autodetect:Enabled"] = "false";
            configure?.Invoke(builder);
        });
        return new BunitCore(core, core.TenantA);
    }

    /// <summary>A Core service acting as this context's tenant admin, for arranging data and checking what was stored.</summary>
    public T Get<T>() where T : notnull => Core.Get<T>(TenantId);

    /// <summary>Opens a dialog through <see cref="IDialogService"/> as the page does, with the providers rendered.</summary>
    public async Task<IDialogReference> ShowDialogAsync<TDialog>(DialogParameters? parameters = null, string title = "")
        where TDialog : ComponentBase
    {
        var service = Context.Services.GetRequiredService<IDialogService>();
        IDialogReference? reference = null;
        await Providers.InvokeAsync(async () =>
            reference = await service.ShowAsync<TDialog>(title, parameters ?? [], new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true }));
        return reference!;
    }

    public async Task<MailServerSummary> AddServerAsync(string name, string host = "smtp.example.com", int port = 587,
        string? username = "mailer", string? password = "s3cret-Pass")
    {
        var result = await Get<MailServerService>().CreateAsync(new MailServerInput
        {
            Name = name, SmtpHost = host, SmtpPort = port, SmtpUsername = username, SmtpPassword = password,
        });
        result.Succeeded.Should().BeTrue(string.Join("; ", result.FieldErrors.Values));
        return result.Value!;
    }

    public async Task<EmailAccountSummary> AddAccountAsync(string displayName, string email, int serverId, bool isDefault = false,
        string? imapHost = null, string? imapUsername = null, string? imapPassword = null)
    {
        var result = await Get<EmailAccountService>().CreateAsync(new EmailAccountInput
        {
            DisplayName = displayName, EmailAddress = email, MailServerId = serverId, IsDefault = isDefault,
            ImapHost = imapHost, ImapUsername = imapUsername, ImapPassword = imapPassword,
        });
        result.Succeeded.Should().BeTrue(string.Join("; ", result.FieldErrors.Values));
        return result.Value!;
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Core.DisposeAsync();
    }
}
