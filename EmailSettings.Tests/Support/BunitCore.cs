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
/// The one bUnit set-up for Portal components over the real Core: <see cref="CoreTestHost"/> (its own SQLite file) acting as
/// an admin of <see cref="CoreTestHost.TenantA"/>, MudBlazor services, an interactive Server renderer, and the providers
/// (popover, dialog, snackbar) that the layout normally renders. Dispose with <c>await using</c>.
/// <see cref="For"/> puts it over a host a test already has (for example a sync test bed's), acting for any tenant;
/// <see cref="WithoutCore"/> serves components that get everything through parameters.
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
    private readonly CoreTestHost? core;
    private readonly bool ownsCore;
    private IRenderedComponent<ContainerFragment>? providers;

    private BunitCore(CoreTestHost? core, Guid tenantId, bool ownsCore)
    {
        this.core = core;
        this.ownsCore = ownsCore;
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
        if (core is null)
        {
            Context.Services.AddLogging();
        }
        else
        {
            // Everything MudBlazor and bUnit do not provide (the Core services, TimeProvider) comes from one scope of the Core host.
            Context.Services.AddFallbackServiceProvider(core.Scope(tenantId));
        }
        // After the services: setting it builds the renderer, which locks the service collection.
        Context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public BunitContext Context { get; }

    public CoreTestHost Core => core ?? throw new InvalidOperationException("This context was made WithoutCore().");
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
        return new BunitCore(core, core.TenantA, ownsCore: true);
    }

    /// <summary>A context over <paramref name="core"/> acting as an admin of <paramref name="tenantId"/>; the host stays the caller's.</summary>
    public static BunitCore For(CoreTestHost core, Guid tenantId) => new(core, tenantId, ownsCore: false);

    /// <summary>MudBlazor, logging and the interactive renderer only, for components that take their data as parameters.</summary>
    public static BunitCore WithoutCore() => new(null, Guid.Empty, ownsCore: false);

    /// <summary>Renders a component in this context (with <see cref="Providers"/> rendered first, as the layout does).</summary>
    public IRenderedComponent<TComponent> Render<TComponent>(Action<ComponentParameterCollectionBuilder<TComponent>>? parameters = null)
        where TComponent : IComponent
    {
        _ = Providers;
        return Context.Render(parameters);
    }

    /// <summary>Renders a fragment in this context (with <see cref="Providers"/> rendered first).</summary>
    public IRenderedComponent<ContainerFragment> Render(RenderFragment fragment)
    {
        _ = Providers;
        return Context.Render(fragment);
    }

    /// <summary>Disposes every rendered component, as closing the page does.</summary>
    public Task DisposeComponentsAsync() => Context.DisposeComponentsAsync();

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
        if (ownsCore)
        {
            await core!.DisposeAsync();
        }
    }
}
