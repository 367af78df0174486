using EmailSettings.Core.Connections;
using EmailSettings.Core.EmailAccounts;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// Add or edit an email account. Talks to <see cref="EmailAccountService"/> itself and closes only after a successful save,
/// returning the saved <see cref="EmailAccountSummary"/>. Without any mail server it explains that one is needed first
/// and offers no way to create the account. On Add, the address is looked up (<see cref="SettingsDetection"/>) and the
/// proposal fills the fields the admin has not typed; when no server of the tenant matches its SMTP settings, the account
/// can bring its own server (<see cref="NewServerDraft"/>), added through <see cref="MailServerService"/> on save.
/// </summary>
public partial class EmailAccountDialog
{
    /// <summary>The fields that show their own message; any other field's message goes into the form message.</summary>
    private static readonly HashSet<string> FieldsWithInputs = [nameof(EmailAccountInput.EmailAddress), nameof(EmailAccountInput.DisplayName), nameof(EmailAccountInput.MailServerId), nameof(EmailAccountInput.ImapHost), nameof(EmailAccountInput.ImapPort), nameof(EmailAccountInput.ImapUsername), nameof(EmailAccountInput.ImapPassword), nameof(EmailAccountInput.Folders)];

    private static readonly Dictionary<string, object> NoAutofill = new() { ["autocomplete"] = "off" };
    private static readonly Dictionary<string, object> NewPassword = new() { ["autocomplete"] = "new-password" };

    private static readonly string[] ImapFields =
    [
        nameof(EmailAccountInput.ImapHost), nameof(EmailAccountInput.ImapUsername), nameof(EmailAccountInput.ImapPassword),
    ];

    /// <summary>What using a proposal may change, checked again after it (when a save was attempted before).</summary>
    private static readonly string[] ProposedFields =
    [
        .. ImapFields, nameof(EmailAccountInput.ImapPort), nameof(EmailAccountInput.MailServerId), NewServerDraft.NameKey, NewServerDraft.PasswordKey,
    ];

    private EmailAccountInput? input;
    private IReadOnlyList<MailServerSummary> servers = [];
    private readonly FormErrors errors = new();
    private readonly TypedFields typed = new();
    private SettingsDetection detection = default!;
    private NewServerDraft? newServer;
    private MudForm? form;
    private string? formMessage;
    private bool saving;
    private bool notFound;
    private bool showPassword;
    private MudButton? acknowledgeButton;
    private bool acknowledgeFocused;
    private IReadOnlyList<SignInChoice> choices = [SignInChoice.Password];
    private string imapChoice = SignInChoice.Password.Key;

    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = default!;

    /// <summary>The account to edit; null adds a new one.</summary>
    [Parameter] public int? AccountId { get; set; }

    /// <summary>Told when the dialog added a mail server for the account, even if the account itself is not saved after all.</summary>
    [Parameter] public EventCallback<MailServerSummary> OnServerAdded { get; set; }

    private bool IsEdit => AccountId is not null;

    // Core refuses an account without a server, on create and on edit alike.
    private bool NoServers => input is not null && servers.Count == 0;

    private bool LostServer => IsEdit && input?.MailServerId is null;

    private string PasswordHelp => IsEdit && input?.HasStoredImapPassword == true
        ? "Leave blank to keep the existing password"
        : "Stored encrypted; never shown again";

    /// <summary>
    /// Tests what is typed now, unsaved; a blank password on edit means the stored one of this account.
    /// The copy keeps the test's values fixed while the admin goes on typing.
    /// </summary>
    private Task<ConnectionTestResult> TestConnectionAsync(CancellationToken ct) =>
        ImapTester.TestAsync(input!.Copy(), AccountId, ct);

    /// <summary>List folders of the picker: the values as typed, the stored password on edit when left blank.</summary>
    private Task<ImapFolderListing> ListFoldersAsync(CancellationToken ct) =>
        ImapTester.ListFoldersAsync(input!.Copy(), AccountId, ct);

    private async Task OnFoldersChangedAsync(IReadOnlyList<string> folders)
    {
        input!.Folders = folders;
        await RevalidateAsync(nameof(EmailAccountInput.Folders));
    }

    protected override async Task OnInitializedAsync()
    {
        choices = SignInChoice.For(SignIns.Providers);
        detection = new SettingsDetection(Detector, () => InvokeAsync(StateHasChanged), Logger);
        servers = await Servers.ListAsync();
        if (AccountId is not { } id)
        {
            input = EmailAccountInput.ForNewAccount(servers);
            return;
        }
        input = await Accounts.GetForEditAsync(id);
        notFound = input is null;
        if (input is not null)
        {
            imapChoice = SignInChoice.KeyOf(input.ImapSignInMethod, input.ImapOAuthProvider, input.ImapOAuthGrant);
        }
    }

    private bool ImapAppOnly => choices.FirstOrDefault(c => c.Key == imapChoice)?.AppOnly == true;

    /// <summary>Password or a provider: the password field and the sign-in button take each other's place; nothing typed is lost.</summary>
    private async Task ImapChoiceChanged(string key)
    {
        imapChoice = key;
        var choice = choices.FirstOrDefault(c => c.Key == key) ?? SignInChoice.Password;
        input!.ImapSignInMethod = choice.Method;
        input.ImapOAuthProvider = choice.Provider;
        if (input.ImapOAuthGrant is { } saved && !string.Equals(saved.ProviderName, choice.Provider, StringComparison.OrdinalIgnoreCase))
        {
            // A sign-in of this dialog with another provider does not apply any more.
            input.ImapOAuthGrantId = null;
        }
        await RevalidateAsync(ImapFields);
    }

    /// <summary>The popup's sign-in completed: the dialog keeps the grant's id until it is saved; the username defaults to the address.</summary>
    private async Task ImapSignedInAsync(OAuthGrantInfo grant)
    {
        input!.ImapOAuthGrantId = grant.Id;
        input.ImapOAuthGrant = grant;
        if (string.IsNullOrWhiteSpace(input.ImapUsername) && grant.Address is { } address)
        {
            input.ImapUsername = address;
        }
        await RevalidateAsync([.. ImapFields, nameof(EmailAccountInput.ImapOAuthGrantId)]);
        StateHasChanged();
    }

    /// <summary>
    /// The "no server yet" warning has no field to start in, so its OK button takes the focus: otherwise the focus stays
    /// on the page's Add Account button behind the dialog, where Escape and Tab do not reach the dialog. Never in the
    /// first render: MudBlazor's focus trap notes the focused element (the opener, given the focus back on close) after
    /// this component's first render, and must not note the OK button instead.
    /// </summary>
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!NoServers || acknowledgeFocused || acknowledgeButton is null)
        {
            return;
        }
        if (firstRender)
        {
            StateHasChanged();
            return;
        }
        acknowledgeFocused = true;
        await acknowledgeButton.FocusAsync();
    }

    private string ServerLabel(int? id) =>
        servers.FirstOrDefault(s => s.Id == id) is { } s ? $"{s.Name} ({s.SmtpHost}:{s.SmtpPort})" : "";

    private Dictionary<string, string> ClientErrors()
    {
        var found = input!.Validate(isCreate: !IsEdit, hasStoredImapPassword: input.HasStoredImapPassword);
        if (newServer is not null)
        {
            // The account sends through the new server, added just before the account is.
            found.Remove(nameof(EmailAccountInput.MailServerId));
            foreach (var (field, message) in newServer.Validate())
            {
                found[field] = message;
            }
        }
        return found;
    }

    /// <summary>The admin edited <paramref name="field"/>: a proposal leaves it as it is from now on.</summary>
    private Task TypedAsync(string field, params string[] revalidate)
    {
        typed.Mark(field);
        return RevalidateAsync(revalidate.Length == 0 ? [field] : revalidate);
    }

    private async Task AddressChangedAsync()
    {
        await RevalidateAsync(nameof(EmailAccountInput.EmailAddress));
        if (!IsEdit)
        {
            detection.Start(input?.EmailAddress, asked: false);
        }
    }

    /// <summary>"Use these settings": IMAP into the fields not typed, and the server to select or to add.</summary>
    private async Task UseDetectedSettingsAsync(ProposalChoice choice)
    {
        if (input is null)
        {
            return;
        }
        var applied = ProposalApplier.Apply(choice.Settings, input, typed, SignIns.Providers);
        if (applied.SignIn.Configured is { } provider)
        {
            // The proposal switched the IMAP sign-in to this provider: the choice shows it, a sign-in with another provider goes.
            await ImapChoiceChanged(SignInChoice.KeyOf(SignInMethod.OAuth2, provider.Name, null));
        }
        if (choice.SelectServer is { } server)
        {
            input.MailServerId = server.Id;
            newServer = null;
        }
        else if (choice.AddServer)
        {
            newServer = NewServerDraft.From(choice.Settings);
        }
        else if (choice.Settings.Smtp is not null)
        {
            // "Add server" left unticked: a new server from an earlier proposal goes too.
            newServer = null;
        }
        detection.MarkApplied(applied.Kept);
        await RevalidateAsync(ProposedFields);
    }

    private Task ChooseExistingServerAsync()
    {
        newServer = null;
        return RevalidateAsync(ProposedFields);
    }

    /// <summary>
    /// Adds the new server through <see cref="MailServerService"/> (its validation, the tenant, the first server becoming the
    /// default) and selects it. On failure its messages show under its fields and the account is not saved.
    /// </summary>
    private async Task<bool> AddNewServerAsync(NewServerDraft draft)
    {
        var result = await Servers.CreateAsync(draft.Input);
        if (!result.Succeeded)
        {
            await errors.ShowAsync(form, NewServerDraft.Prefixed(result.FieldErrors));
            formMessage = $"The mail server was not added. {FormErrors.FormMessage(result, NewServerDraft.FieldsWithInputs)}".TrimEnd();
            Snackbar.Add(result.Message ?? "The mail server was not added.", Severity.Error);
            return false;
        }
        var added = result.Value!;
        newServer = null;
        servers = await Servers.ListAsync();
        input!.MailServerId = added.Id;
        Snackbar.Add($"Mail server {added.Name} added.", Severity.Success);
        await OnServerAdded.InvokeAsync(added);
        return true;
    }

    /// <summary>After a first save attempt, re-checks the edited fields as the admin fixes them.</summary>
    private async Task RevalidateAsync(params string[] fields)
    {
        if (input is null)
        {
            return;
        }
        await errors.RefreshAsync(form, ClientErrors(), fields);
        if (errors.Attempted && errors.Count == 0)
        {
            formMessage = null;
        }
    }

    private void Cancel() => Dialog.Cancel();

    private async Task SaveAsync()
    {
        if (input is null || saving || NoServers)
        {
            return;
        }
        if (!await errors.ShowAsync(form, ClientErrors()))
        {
            formMessage = "Please correct the highlighted fields.";
            FormErrors.Warn(Snackbar, "The email account was not saved: please correct the highlighted fields.");
            return;
        }

        saving = true;
        formMessage = null;
        try
        {
            if (newServer is { } draft && !await AddNewServerAsync(draft))
            {
                return;
            }
            var result = AccountId is { } id ? await Accounts.UpdateAsync(id, input) : await Accounts.CreateAsync(input);
            if (result.Succeeded)
            {
                var saved = result.Value!;
                Snackbar.Add(IsEdit ? $"Saved changes to {saved.DisplayName}." : $"Email account {saved.DisplayName} added.", Severity.Success);
                Dialog.Close(DialogResult.Ok(saved));
                return;
            }
            await errors.ShowAsync(form, result.FieldErrors);
            formMessage = FormErrors.FormMessage(result, FieldsWithInputs);
            Snackbar.Add(result.Message ?? "The email account was not saved.", Severity.Error);
            if (result.FieldErrors.ContainsKey(nameof(EmailAccountInput.MailServerId)))
            {
                // The server list may be stale (a server deleted in another tab): offer what exists now.
                servers = await Servers.ListAsync();
            }
        }
        catch (TenantAccessDeniedException ex)
        {
            formMessage = ex.Message;
            Snackbar.Add(ex.Message, Severity.Error);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Logger.LogError(ex, "Saving email account {AccountId} failed", AccountId);
            formMessage = "Something went wrong while saving. What you typed is kept; try again.";
            Snackbar.Add("The email account was not saved.", Severity.Error);
        }
        finally
        {
            saving = false;
        }
    }

    public void Dispose() => detection?.Dispose();
}
