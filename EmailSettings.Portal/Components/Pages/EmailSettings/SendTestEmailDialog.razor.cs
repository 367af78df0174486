using EmailSettings.Core.Common;
using EmailSettings.Core.Sending;
using EmailSettings.Core.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace EmailSettings.Portal.Components.Pages.EmailSettings;

/// <summary>
/// Sends one real message through an account so the admin sees that it can send. Stays open after a failure so the
/// admin can read the reason, change the recipient and try again.
/// </summary>
public partial class SendTestEmailDialog
{
    private const string RecipientField = "Recipient";
    private static readonly string RequiredMessage = FieldRules.Required(null, OutgoingEmail.RecipientLabel)!;

    private readonly CancellationTokenSource closing = new();
    private readonly FormErrors errors = new();
    private MudForm? form;
    private string recipient = "";
    private string sentTo = "";
    private bool sending;
    private SendResult? result;
    private string? failure;

    [CascadingParameter]
    private IMudDialogInstance MudDialog { get; set; } = default!;

    [Parameter, EditorRequired]
    public int AccountId { get; set; }

    [Parameter, EditorRequired]
    public string AccountName { get; set; } = "";

    /// <summary>Pre-filled recipient, normally the signed-in admin's own address.</summary>
    [Parameter]
    public string? DefaultRecipient { get; set; }

    [Inject]
    private IEmailSender Sender { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    [Inject]
    private ILogger<SendTestEmailDialog> Logger { get; set; } = default!;

    protected override void OnInitialized() => recipient = DefaultRecipient?.Trim() ?? "";

    private async Task OnKeyDownAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter" && !sending)
        {
            await SendAsync();
        }
    }

    private Dictionary<string, string> RecipientErrors() =>
        FieldRules.Email(recipient, OutgoingEmail.RecipientLabel) is { } message ? new() { [RecipientField] = message } : [];

    /// <summary>After a first attempt, checks the address again as it is typed.</summary>
    private Task RevalidateAsync() => errors.RefreshAsync(form, RecipientErrors(), RecipientField);

    private async Task SendAsync()
    {
        if (!await errors.ShowAsync(form, RecipientErrors()))
        {
            return;
        }
        sending = true;
        result = null;
        failure = null;
        var to = recipient.Trim();
        StateHasChanged();
        try
        {
            var email = OutgoingEmail.TestMessage(AccountId, AccountName, to, Clock.GetUtcNow().UtcDateTime);
            result = await Sender.SendAsync(email, closing.Token);
            sentTo = to;
            failure = result.Succeeded ? null : result.ErrorMessage;
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // The dialog was closed while sending; the sender has logged the cancelled attempt.
            return;
        }
        catch (TenantAccessDeniedException ex)
        {
            failure = ex.Message;
        }
        catch (Exception ex)
        {
            // Unexpected: keep the circuit alive, tell the admin, keep the details for the operator.
            Logger.LogError(ex, "Send test email through account {AccountId} failed unexpectedly", AccountId);
            failure = SmtpEmailSender.UnexpectedMessage;
        }
        finally
        {
            sending = false;
        }
    }

    private void Close() => MudDialog.Close(DialogResult.Ok(result?.Succeeded == true));

    public void Dispose()
    {
        closing.Cancel();
        closing.Dispose();
    }
}
