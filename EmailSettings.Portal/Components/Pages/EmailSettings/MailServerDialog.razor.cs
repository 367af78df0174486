using EmailSettings.Core.Connections;
using EmailSettings.Core.MailServers;
using EmailSettings.Core.OAuth;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// Add or edit a mail server. Talks to <see cref="MailServerService"/> itself and closes only after a successful save,
/// returning the saved <see cref="MailServerSummary"/>; on failure it keeps everything typed and shows the messages.
/// On Add, "Detect from address" looks the address up (<see cref="SettingsDetection"/>) and the proposal fills the SMTP
/// fields the admin has not typed.
/// </summary>
public partial class MailServerDialog
{
    /// <summary>The fields that show their own message; any other field's message goes into the form message.</summary>
    private static readonly HashSet<string> FieldsWithInputs = [nameof(MailServerInput.Name), nameof(MailServerInput.SmtpHost), nameof(MailServerInput.SmtpPort), nameof(MailServerInput.SmtpUsername), nameof(MailServerInput.SmtpPassword)];

    private static readonly Dictionary<string, object> NoAutofill = new() { ["autocomplete"] = "off" };
    private static readonly Dictionary<string, object> NewPassword = new() { ["autocomplete"] = "new-password" };

    private MailServerInput? input;
    private IReadOnlyList<MailServerSummary> servers = [];
    private readonly FormErrors errors = new();
    private readonly TypedFields typed = new();
    private SettingsDetection detection = default!;
    private string? detectAddress;
    private MudForm? form;
    private string? formMessage;
    private bool saving;
    private bool notFound;
    private bool showPassword;
    private IReadOnlyList<SignInChoice> choices = [SignInChoice.Password];
    private string choice = SignInChoice.Password.Key;

    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = default!;

    /// <summary>The server to edit; null adds a new one.</summary>
    [Parameter] public int? ServerId { get; set; }

    private bool IsEdit => ServerId is not null;

    private string PasswordHelp => IsEdit
        ? input?.HasStoredPassword == true
            ? "Leave blank to keep the existing password"
            : "No password is stored; enter one if the server needs it"
        : "Stored encrypted; never shown again";

    /// <summary>
    /// Tests what is typed now, unsaved; a blank password on edit means the stored one of this server.
    /// The copy keeps the test's values fixed while the admin goes on typing.
    /// </summary>
    private Task<ConnectionTestResult> TestConnectionAsync(CancellationToken ct) =>
        SmtpTester.TestAsync(input!.Copy(), ServerId, ct);

    protected override async Task OnInitializedAsync()
    {
        choices = SignInChoice.For(SignIns.Providers);
        detection = new SettingsDetection(Detector, () => InvokeAsync(StateHasChanged), Logger);
        if (ServerId is not { } id)
        {
            input = new MailServerInput();
            // To say when a detected server is one the tenant already has.
            servers = await Servers.ListAsync();
            return;
        }
        input = await Servers.GetForEditAsync(id);
        notFound = input is null;
        if (input is not null)
        {
            choice = SignInChoice.KeyOf(input.SignInMethod, input.OAuthProvider, input.OAuthGrant);
        }
    }

    private bool AppOnly => choices.FirstOrDefault(c => c.Key == choice)?.AppOnly == true;

    /// <summary>Password or a provider: the password field and the sign-in button take each other's place; nothing typed is lost.</summary>
    private async Task ChoiceChanged(string key)
    {
        choice = key;
        var chosen = choices.FirstOrDefault(c => c.Key == key) ?? SignInChoice.Password;
        input!.SignInMethod = chosen.Method;
        input.OAuthProvider = chosen.Provider;
        if (input.OAuthGrant is { } saved && !string.Equals(saved.ProviderName, chosen.Provider, StringComparison.OrdinalIgnoreCase))
        {
            input.OAuthGrantId = null;
        }
        await RevalidateAsync(nameof(MailServerInput.SmtpUsername), nameof(MailServerInput.SmtpPassword));
    }

    /// <summary>The popup's sign-in completed: the dialog keeps the grant's id until it is saved; the username defaults to the address.</summary>
    private async Task SignedInAsync(OAuthGrantInfo grant)
    {
        input!.OAuthGrantId = grant.Id;
        input.OAuthGrant = grant;
        if (string.IsNullOrWhiteSpace(input.SmtpUsername) && grant.Address is { } address)
        {
            input.SmtpUsername = address;
        }
        await RevalidateAsync(nameof(MailServerInput.SmtpUsername), nameof(MailServerInput.OAuthGrantId));
        StateHasChanged();
    }

    /// <summary>After a first save attempt, re-checks the edited fields as the admin fixes them.</summary>
    private async Task RevalidateAsync(params string[] fields)
    {
        if (input is null)
        {
            return;
        }
        await errors.RefreshAsync(form, input.Validate(), fields);
        if (errors.Attempted && errors.Count == 0)
        {
            formMessage = null;
        }
    }

    /// <summary>The admin edited <paramref name="field"/>: a proposal leaves it as it is from now on.</summary>
    private Task TypedAsync(string field, params string[] revalidate)
    {
        typed.Mark(field);
        return RevalidateAsync(revalidate.Length == 0 ? [field] : revalidate);
    }

    /// <summary>"Use these settings": the SMTP settings, and a Server Name, into the fields not typed.</summary>
    private async Task UseDetectedSettingsAsync(ProposalChoice choice)
    {
        if (input is null)
        {
            return;
        }
        var applied = ProposalApplier.Apply(choice.Settings, input, typed, SignIns.Providers, NewServerDraft.NameFor(choice.Settings));
        if (applied.SignIn.Configured is { } provider)
        {
            await ChoiceChanged(SignInChoice.KeyOf(global::EmailSettings.Core.OAuth.SignInMethod.OAuth2, provider.Name, null));
        }
        detection.MarkApplied(applied.Kept);
        await RevalidateAsync(FieldsWithInputs.ToArray());
    }

    private void Cancel() => Dialog.Cancel();

    private async Task SaveAsync()
    {
        if (input is null || saving)
        {
            return;
        }
        if (!await errors.ShowAsync(form, input.Validate()))
        {
            formMessage = "Please correct the highlighted fields.";
            FormErrors.Warn(Snackbar, "The mail server was not saved: please correct the highlighted fields.");
            return;
        }

        saving = true;
        formMessage = null;
        try
        {
            var result = ServerId is { } id ? await Servers.UpdateAsync(id, input) : await Servers.CreateAsync(input);
            if (result.Succeeded)
            {
                Snackbar.Add(IsEdit ? $"Saved changes to {result.Value!.Name}." : $"Mail server {result.Value!.Name} added.", Severity.Success);
                Dialog.Close(DialogResult.Ok(result.Value));
                return;
            }
            await errors.ShowAsync(form, result.FieldErrors);
            formMessage = FormErrors.FormMessage(result, FieldsWithInputs);
            Snackbar.Add(result.Message ?? "The mail server was not saved.", Severity.Error);
        }
        catch (TenantAccessDeniedException ex)
        {
            formMessage = ex.Message;
            Snackbar.Add(ex.Message, Severity.Error);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Logger.LogError(ex, "Saving mail server {ServerId} failed", ServerId);
            formMessage = "Something went wrong while saving. What you typed is kept; try again.";
            Snackbar.Add("The mail server was not saved.", Severity.Error);
        }
        finally
        {
            saving = false;
        }
    }

    public void Dispose() => detection?.Dispose();
}
