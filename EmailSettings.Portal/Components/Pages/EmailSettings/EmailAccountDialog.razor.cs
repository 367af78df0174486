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
/// and offers no way to create the account.
/// </summary>
public partial class EmailAccountDialog
{
    /// <summary>The fields that show their own message; any other field's message goes into the form message.</summary>
    private static readonly HashSet<string> FieldsWithInputs = [nameof(EmailAccountInput.EmailAddress), nameof(EmailAccountInput.DisplayName), nameof(EmailAccountInput.MailServerId), nameof(EmailAccountInput.ImapHost), nameof(EmailAccountInput.ImapPort), nameof(EmailAccountInput.ImapUsername), nameof(EmailAccountInput.ImapPassword)];

    private static readonly Dictionary<string, object> NoAutofill = new() { ["autocomplete"] = "off" };
    private static readonly Dictionary<string, object> NewPassword = new() { ["autocomplete"] = "new-password" };

    private static readonly string[] ImapFields =
    [
        nameof(EmailAccountInput.ImapHost), nameof(EmailAccountInput.ImapUsername), nameof(EmailAccountInput.ImapPassword),
    ];

    private EmailAccountInput? input;
    private IReadOnlyList<MailServerSummary> servers = [];
    private readonly FormErrors errors = new();
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

    protected override async Task OnInitializedAsync()
    {
        choices = SignInChoice.For(SignIns.Providers);
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

    private Dictionary<string, string> ClientErrors() =>
        input!.Validate(isCreate: !IsEdit, hasStoredImapPassword: input.HasStoredImapPassword);

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
}
